"""The numbers behind every chart, checked as numbers."""

from __future__ import annotations

import pytest

from tests.stats.conftest import ROAD, Season2
from webapp import cache
from webapp.errors import AppError
from webapp.leaderboards.refresh import rebuild_leaderboards
from webapp.leaderboards.standing import standing_key
from webapp.models import Constructor, TeamRaceScore
from webapp.pipeline import rescore_race
from webapp.redis import get_redis
from webapp.stats.series import (
    constructor_series,
    driver_series,
    form,
    head_to_head,
    league_series,
    team_series,
)


async def test_team_points_and_overall_rank_after_each_race(two_races: Season2) -> None:
    alpha = await team_series(team_id=two_races.alpha.id)
    assert alpha["labels"] == ["R1", "R2"]
    # Belgium: RUS disqualified 0, HAM 25, PIA 18, RIC 1; Singapore: the scoring tests' 52.
    assert (alpha["points"], alpha["totals"]) == ([44, 52], [44, 96])
    # Beta 36 then 135, Gamma 0 then 10: Alpha leads after Belgium, is second after Singapore.
    assert (alpha["ranks"], alpha["teams"]) == ([1, 2], [3, 3])
    beta = await team_series(team_id=two_races.beta.id)
    assert (beta["totals"], beta["ranks"]) == ([36, 135], [2, 1])
    gamma = await team_series(team_id=two_races.gamma.id)
    assert (gamma["points"], gamma["ranks"]) == ([0, 10], [3, 3])


def ranks_from_totals(totals: dict[int, list[int]], team_id: int) -> list[int]:
    """Rank a team after each race straight from every team's running totals."""
    mine = totals[team_id]
    return [1 + sum(other[i] > mine[i] for other in totals.values()) for i in range(len(mine))]


async def test_rank_chart_reflects_a_rescoring_as_soon_as_the_pipeline_ran(
    two_races: Season2,
) -> None:
    teams = [two_races.alpha.id, two_races.beta.id, two_races.gamma.id]
    assert (await team_series(team_id=two_races.alpha.id))["ranks"] == [1, 2]
    # Belgium as first published: Russell (Alpha's captain) wins on the road.
    await two_races.world.results(two_races.belgium, ROAD)
    await rescore_race(race_id=two_races.belgium.id)
    key = standing_key(two_races.world.season.year, "classic").redis_key
    built = await get_redis().get(key)
    assert built is not None
    series = {t: await team_series(team_id=t) for t in teams}
    totals = {t: s["totals"] for t, s in series.items()}
    assert totals[two_races.alpha.id][0] > 44  # the rescoring counted
    for team_id in teams:
        assert series[team_id]["ranks"] == ranks_from_totals(totals, team_id)
        assert series[team_id]["teams"] == [3, 3]
    # The reads only read what the pipeline built.
    assert await get_redis().get(key) == built


async def test_a_team_page_read_never_builds_the_standing(two_races: Season2) -> None:
    key = standing_key(two_races.world.season.year, "classic").redis_key
    await get_redis().delete(key)
    await cache.bump(cache.board_generation(two_races.world.season.year))
    data = await team_series(team_id=two_races.alpha.id)
    # Points still show; the rank line waits for the pipeline (or the nightly rebuild).
    assert (data["points"], data["ranks"], data["teams"]) == ([44, 52], [], [])
    assert await get_redis().exists(key) == 0
    # The nightly rebuild brings it back with the boards.
    await rebuild_leaderboards(season=two_races.world.season.year)
    assert (await team_series(team_id=two_races.alpha.id))["ranks"] == [1, 2]


async def test_team_series_is_cached_until_the_board_moves(two_races: Season2) -> None:
    before = await team_series(team_id=two_races.alpha.id)
    await TeamRaceScore.filter(team_id=two_races.alpha.id, race_id=two_races.belgium.id).update(
        points=1
    )
    assert await team_series(team_id=two_races.alpha.id) == before
    await cache.bump(cache.board_generation(two_races.world.season.year))
    assert (await team_series(team_id=two_races.alpha.id))["points"] == [1, 52]


async def test_league_lines_are_cumulative_and_led_by_the_leader(two_races: Season2) -> None:
    data = await league_series(league_id=two_races.friends.id)
    assert data["labels"] == ["R1", "R2"]
    assert [(t["name"], t["totals"]) for t in data["teams"]] == [
        ("Beta", [36, 135]),
        ("Alpha", [44, 96]),
    ]
    assert data["teams"][1]["owner_id"] == two_races.alice.id
    top = await league_series(league_id=two_races.friends.id, lines=1)
    assert [t["name"] for t in top["teams"]] == ["Beta"]


async def test_head_to_head_counts_races_won(two_races: Season2) -> None:
    duel = await head_to_head(
        league_id=two_races.friends.id, team_a=two_races.alpha.id, team_b=two_races.beta.id
    )
    assert (duel["a"]["points"], duel["b"]["points"]) == ([44, 52], [36, 99])
    assert duel["wins"] == {"a": 1, "b": 1, "even": 0}
    with pytest.raises(AppError) as error:
        await head_to_head(
            league_id=two_races.friends.id, team_a=two_races.alpha.id, team_b=two_races.gamma.id
        )
    assert (error.value.code, error.value.field) == ("validation_error", "b")


async def test_driver_and_constructor_points_form_and_flat_price(two_races: Season2) -> None:
    drivers = two_races.world.drivers
    russell = await driver_series(driver_id=drivers["RUS"].id)
    assert (russell["labels"], russell["points"], russell["total"]) == (["R1", "R2"], [0, 12], 12)
    assert (russell["form"], russell["form_races"]) == (6.0, 2)
    assert russell["prices"] == [20.0, 20.0]
    mercedes = await Constructor.get(id=drivers["HAM"].constructor_id)  # type: ignore[attr-defined]
    team = await constructor_series(constructor_id=mercedes.id)
    # Belgium: HAM 25 + RUS 0; Singapore: RUS 12 + HAM 8. No constructor price yet: no line.
    assert (team["points"], team["prices"]) == ([25, 20], [])
    assert form([1, 2, 3, 4]) == 3.0 and form([]) is None

"""Ownership is counted by the results pipeline, from the lineups that scored the latest race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from tests.stats.conftest import EARLY, Season2
from tests.stats.test_chart_pages import html_of
from webapp.leaderboards.refresh import league_membership_changed, rebuild_leaderboards
from webapp.models import AssetOwnership, LeagueMember, RaceStatus, TeamRaceScore, User
from webapp.pipeline import rescore_race
from webapp.stats.series import ownership

BETWEEN = BELGIUM_LOCK + timedelta(days=2)


Stored = dict[str, tuple[int, int, dict[str, int], dict[str, int]]]


async def stored(season: int) -> Stored:
    """Return the rows the pipeline wrote: game → (race, lineups, drivers, constructors)."""
    rows = await AssetOwnership.filter(season_id=season)
    return {r.game: (r.race_id, r.teams, r.drivers, r.constructors) for r in rows}


async def test_counts_after_scoring_are_the_lineups_that_scored(two_races: Season2) -> None:
    season, drivers = two_races.world.season.year, two_races.world.drivers
    friends = two_races.friends.id
    zhou = await ownership(season=season, driver_id=drivers["ZHO"].id, league_ids=[friends])
    # Singapore's lineups: Alpha's and Gamma's hold Zhou, Beta's second one does not.
    assert (zhou["holding"], zhou["teams"], zhou["share"]) == (2, 3, 66.7)
    singapore = two_races.singapore.id
    assert zhou["race"] == {"id": singapore, "name": "Singapore Grand Prix", "round": 2}
    assert zhou["leagues"] == [
        {"league_id": friends, "name": "Friends", "teams": 2, "holding": 1, "share": 50.0}
    ]
    # In the classic game a constructor is held through a driver: Leclerc, in Beta's lineup.
    ferrari = drivers["LEC"].constructor_id  # type: ignore[attr-defined]
    held = await ownership(season=season, constructor_id=ferrari, league_ids=[friends])
    assert (held["holding"], held["teams"], held["leagues"][0]["holding"]) == (1, 3, 1)
    # Mercedes has two drivers in Alpha's lineup: one team, counted once.
    mercedes = drivers["HAM"].constructor_id  # type: ignore[attr-defined]
    assert (await ownership(season=season, constructor_id=mercedes))["holding"] == 1
    # What the pipeline wrote: one row for the game, with the lineups counted and each
    # driver's and constructor's holders (Grand Prix has no team, so no row).
    rows = await stored(season)
    assert set(rows) == {"classic"}
    race, teams, held, constructors = rows["classic"]
    assert (race, teams) == (singapore, 3)
    assert (held[str(drivers["ZHO"].id)], held[str(drivers["NOR"].id)]) == (2, 1)
    assert str(drivers["PER"].id) not in held and constructors[str(ferrari)] == 1


async def test_counts_move_when_the_pipeline_scores_the_next_race(
    world: World, make_user: Callable[..., Awaitable[User]]
) -> None:
    alice = await make_user("alice")
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    alpha, beta = await world.team("Alpha", owner=alice), await world.team("Beta")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(beta, ["NOR", "VER", "SAI", "PER", "HUL"], captain="HUL", saved_at=EARLY)
    season, hulk, verstappen = world.season.year, world.drivers["HUL"].id, world.drivers["VER"].id
    nothing = await ownership(season=season, driver_id=hulk)
    assert (nothing["teams"], nothing["race"]) == (0, None)
    await world.results(belgium, BELGIUM)
    await rescore_race(race_id=belgium.id)
    after_belgium = await ownership(season=season, driver_id=hulk)
    assert (after_belgium["holding"], after_belgium["teams"]) == (1, 2)
    assert after_belgium["race"]["id"] == belgium.id
    # Before Singapore locks, Beta drops Hulkenberg and Alpha takes Verstappen: the counts
    # stay those of Belgium's lineups until Singapore's results are scored.
    await world.lineup(beta, ["NOR", "VER", "SAI", "PER", "ALB"], captain="NOR", saved_at=BETWEEN)
    await world.lineup(alpha, ["RUS", "VER", "PIA", "ZHO", "RIC"], captain="VER", saved_at=BETWEEN)
    assert (await ownership(season=season, driver_id=hulk))["holding"] == 1
    assert (await ownership(season=season, driver_id=verstappen))["holding"] == 1
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=singapore.id)
    assert (await ownership(season=season, driver_id=hulk))["holding"] == 0
    moved = await ownership(season=season, driver_id=verstappen)
    assert (moved["holding"], moved["share"], moved["race"]["id"]) == (2, 100.0, singapore.id)
    # Singapore cancelled: it scores nothing, so Belgium's lineups count again.
    singapore.status = RaceStatus.CANCELLED
    await singapore.save(update_fields=["status"])
    await rescore_race(race_id=singapore.id)
    back = await ownership(season=season, driver_id=hulk)
    assert (back["holding"], back["race"]["id"]) == (1, belgium.id)


async def test_a_page_reads_the_stored_counts(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    await login(client, two_races.alice)
    season, zhou = two_races.world.season.year, two_races.world.drivers["ZHO"].id
    html = await html_of(client, f"/drivers/{zhou}")
    assert "2 of 3 Classic teams field this driver" in html
    assert f'the lineup that scored the <a href="/races/{two_races.singapore.id}">' in html
    # The page shows what the pipeline stored, not a count of lineups made on the read.
    await AssetOwnership.filter(season_id=season).update(teams=4, drivers={str(zhou): 1})
    html = await html_of(client, f"/drivers/{zhou}")
    assert "1 of 4 Classic teams field this driver" in html
    assert "<strong>25.0%</strong> of teams" in html
    await AssetOwnership.filter(season_id=season).delete()
    html = await html_of(client, f"/drivers/{zhou}")
    assert "No lineup has scored yet this season" in html


async def test_the_nightly_rebuild_builds_them_again(two_races: Season2) -> None:
    season = two_races.world.season.year
    before = await stored(season)
    await AssetOwnership.filter(season_id=season).delete()
    await rebuild_leaderboards(season=season)
    assert await stored(season) == before


async def test_a_rescoring_that_writes_nothing_builds_missing_counts(two_races: Season2) -> None:
    season = two_races.world.season.year
    before = await stored(season)
    await AssetOwnership.filter(season_id=season).delete()
    # Nothing changed in Singapore, but its counts were missing (a first deploy): built.
    await rescore_race(race_id=two_races.singapore.id)
    assert await stored(season) == before


async def test_league_counts_follow_a_member_joining(
    two_races: Season2, client: TestClientProtocol, login: Callable[..., Awaitable[None]]
) -> None:
    season, zhou = two_races.world.season.year, two_races.world.drivers["ZHO"].id
    friends = two_races.friends.id
    before = await ownership(season=season, driver_id=zhou, league_ids=[friends])
    assert [(lg["holding"], lg["teams"]) for lg in before["leagues"]] == [(1, 2)]
    # Gamma (Zhou in its Singapore lineup) joins Friends: counted at once, as the league
    # generation moves; the counts over the whole game stay the stored ones.
    await LeagueMember.create(league_id=friends, team=two_races.gamma)
    await league_membership_changed(league_id=friends)
    after = await ownership(season=season, driver_id=zhou, league_ids=[friends])
    assert [(lg["holding"], lg["teams"], lg["share"]) for lg in after["leagues"]] == [(2, 3, 66.7)]
    assert (after["holding"], after["teams"]) == (2, 3)
    await login(client, two_races.alice)
    html = await html_of(client, f"/drivers/{zhou}")
    assert '<td class="num">3</td><td class="num">2</td><td class="num">66.7%</td>' in html


async def test_a_season_without_scores_has_no_counts_after_the_rebuild(
    two_races: Season2,
) -> None:
    season, zhou = two_races.world.season.year, two_races.world.drivers["ZHO"].id
    # A replay started over empties the season's scores, then rebuilds its boards.
    await TeamRaceScore.filter(race__season_id=season).delete()
    await rebuild_leaderboards(season=season)
    assert await stored(season) == {}
    nothing = await ownership(season=season, driver_id=zhou, league_ids=[two_races.friends.id])
    assert (nothing["teams"], nothing["race"], nothing["leagues"]) == (0, None, [])

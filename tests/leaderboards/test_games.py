"""Leaderboards per game: each game's overall, race and league boards hold its teams only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, World
from webapp.errors import AppError
from webapp.leaderboards.queries import Leaderboard, league_leaderboard, overall_leaderboard
from webapp.leaderboards.refresh import (
    add_team_to_boards,
    rebuild_leaderboards,
    refresh_after_rescore,
)
from webapp.models import Race, Team, TeamRaceScore
from webapp.pipeline import rescore_race
from webapp.scoring.rescore import RescoreResult

EARLY = BELGIUM_LOCK - timedelta(days=1)
GP = "grand_prix"


def table(board: Leaderboard) -> list[tuple[int, str, int]]:
    return [(r.rank, r.team_name, r.points) for r in board.items]


async def score(race: Race, team: Team, points: int) -> None:
    """Write a Grand Prix score as its rescoring would, season total included."""
    lineup = await team.lineups.all().order_by("-saved_at").first()
    assert lineup is not None
    await TeamRaceScore.update_or_create(
        team_id=team.id,
        race_id=race.id,
        scoring_system=GP,
        defaults={"lineup_id": lineup.id, "points": points},
    )
    team.points = sum(
        await TeamRaceScore.filter(team_id=team.id, scoring_system=GP).values_list(
            "points", flat=True
        )
    )
    await team.save(update_fields=["points"])


@pytest.fixture
async def games_world(world: World) -> dict:
    """Two classic teams scored for Belgium, then two Grand Prix teams beside them."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    owner = await world.user("olivia")
    alpha = await world.team("Alpha", owner=owner)
    bravo = await world.team("Bravo")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.results(belgium, BELGIUM)
    await rescore_race(race_id=belgium.id)
    gp_one = await world.team("Pitlane", owner=owner)
    gp_two = await world.team("Paddock Club")
    for team in (gp_one, gp_two):
        team.game = GP
        await team.save(update_fields=["game"])
        await world.lineup(team, ["VER", "NOR", "LEC", "ALO", "OCO"], captain="VER", saved_at=EARLY)
    await score(belgium, gp_one, 140)
    await score(belgium, gp_two, 155)
    await refresh_after_rescore(
        RescoreResult(
            race_id=belgium.id, system=GP, season=2024, touched_team_ids=[gp_one.id, gp_two.id]
        )
    )
    return {
        "world": world,
        "belgium": belgium,
        "owner": owner,
        "classic": [alpha, bravo],
        "gp": [gp_one, gp_two],
    }


async def test_each_game_has_its_own_overall_and_race_boards(games_world: dict) -> None:
    classic = await overall_leaderboard(season=2024)
    grand_prix = await overall_leaderboard(season=2024, game=GP)
    assert classic.game == "classic" and grand_prix.game == GP
    assert {r.team_name for r in classic.items} == {"Alpha", "Bravo"}
    assert table(grand_prix) == [(1, "Paddock Club", 155), (2, "Pitlane", 140)]
    race = await overall_leaderboard(race_id=games_world["belgium"].id, game=GP)
    assert table(race) == [(1, "Paddock Club", 155), (2, "Pitlane", 140)]
    classic_race = await overall_leaderboard(race_id=games_world["belgium"].id)
    assert {r.team_name for r in classic_race.items} == {"Alpha", "Bravo"}
    mine = await overall_leaderboard(season=2024, game=GP, user_id=games_world["owner"].id)
    assert [(r.rank, r.team_name) for r in mine.mine] == [(2, "Pitlane")]
    with pytest.raises(AppError) as unknown:
        await overall_leaderboard(season=2024, game="rally")
    assert (unknown.value.code, unknown.value.field) == ("unknown_game", "game")


async def test_a_grand_prix_correction_moves_only_its_board(
    games_world: dict, redis: Redis
) -> None:
    classic_before = await overall_leaderboard(season=2024)
    belgium = games_world["belgium"]
    gp_one, _ = games_world["gp"]
    await score(belgium, gp_one, 170)
    # The boards are built: this takes the in-place path of a small rescoring.
    await refresh_after_rescore(
        RescoreResult(race_id=belgium.id, system=GP, season=2024, touched_team_ids=[gp_one.id])
    )
    assert table(await overall_leaderboard(season=2024, game=GP)) == [
        (1, "Pitlane", 170),
        (2, "Paddock Club", 155),
    ]
    assert table(await overall_leaderboard(race_id=belgium.id, game=GP))[0] == (1, "Pitlane", 170)
    assert await overall_leaderboard(season=2024) == classic_before


async def test_a_league_board_is_of_the_leagues_game(games_world: dict) -> None:
    world: World = games_world["world"]
    league = await world.league(
        "Weekenders", owner=games_world["owner"], teams=games_world["gp"], public=True
    )
    league.game = league.scoring_system = GP
    await league.save(update_fields=["game", "scoring_system"])
    board = await league_leaderboard(league_id=league.id)
    assert board.game == GP
    assert table(board) == [(1, "Paddock Club", 155), (2, "Pitlane", 140)]
    race = await league_leaderboard(league_id=league.id, race_id=games_world["belgium"].id)
    assert table(race) == table(board)


async def test_new_teams_and_rebuilds_keep_each_game_apart(games_world: dict, redis: Redis) -> None:
    world: World = games_world["world"]
    await overall_leaderboard(season=2024, game=GP)  # built, so a new team is added in place
    newcomer = await world.team("Latecomer")
    newcomer.game = GP
    await newcomer.save(update_fields=["game"])
    await add_team_to_boards(team_id=newcomer.id)
    assert table(await overall_leaderboard(season=2024, game=GP))[-1] == (3, "Latecomer", 0)
    assert "Latecomer" not in {r.team_name for r in (await overall_leaderboard(season=2024)).items}

    async def boards() -> list[Leaderboard]:
        race_id = games_world["belgium"].id
        return [
            await overall_leaderboard(season=2024),
            await overall_leaderboard(season=2024, game=GP),
            await overall_leaderboard(race_id=race_id),
            await overall_leaderboard(race_id=race_id, game=GP),
        ]

    before = await boards()
    await redis.flushdb()
    report = await rebuild_leaderboards(season=2024)
    assert report.teams == 5  # two classic teams, three Grand Prix ones
    assert await boards() == before


async def test_the_api_and_page_answer_the_game(
    games_world: dict, client: TestClientProtocol
) -> None:
    body = await (await client.get("/api/v1/leaderboard?season=2024&game=grand_prix")).get_json()
    assert body["game"] == GP
    assert [(r["rank"], r["team"]["name"], r["points"]) for r in body["items"]] == [
        (1, "Paddock Club", 155),
        (2, "Pitlane", 140),
    ]
    plain = await (await client.get("/api/v1/leaderboard?season=2024")).get_json()
    assert plain["game"] == "classic"
    assert {r["team"]["name"] for r in plain["items"]} == {"Alpha", "Bravo"}
    race = await (
        await client.get(f"/api/v1/leaderboard?race_id={games_world['belgium'].id}&game={GP}")
    ).get_json()
    assert race["game"] == GP and race["items"][0]["points"] == 155
    unknown = await client.get("/api/v1/leaderboard?game=rally")
    assert unknown.status_code == 422
    assert (await unknown.get_json())["error"]["code"] == "unknown_game"


async def test_the_leaderboard_page_switches_game(
    games_world: dict, client: TestClientProtocol
) -> None:
    page = await (await client.get("/leaderboard?game=grand_prix")).get_data(as_text=True)
    assert "Paddock Club" in page and "Alpha" not in page
    assert 'href="/leaderboard">Classic</a>' in page
    assert 'aria-current="page">Grand Prix' in page
    assert "topics=leaderboard%3Agrand_prix" in page  # the live topic of this board
    assert 'id="lb-body-leaderboard-grand_prix"' in page
    classic = await (await client.get("/leaderboard")).get_data(as_text=True)
    assert "Alpha" in classic and "Paddock Club" not in classic
    assert 'href="/leaderboard?game=grand_prix">Grand Prix</a>' in classic
    fragment = await client.get("/leaderboard?game=grand_prix", headers={"HX-Request": "true"})
    html = await fragment.get_data(as_text=True)
    assert "Paddock Club" in html and "<html" not in html

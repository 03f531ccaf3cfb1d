"""Leaderboards from Redis: ranks, ties, rank changes, mine, and rebuilds from PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.asyncio import Redis

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from webapp.errors import AppError
from webapp.leaderboards.queries import Leaderboard, league_leaderboard, overall_leaderboard
from webapp.leaderboards.refresh import add_team_to_boards, rebuild_leaderboards
from webapp.models import Team
from webapp.pipeline import rescore_race

EARLY = BELGIUM_LOCK - timedelta(days=1)


def table(board: Leaderboard) -> list[tuple[int, str, int, int]]:
    return [(r.rank, r.team_name, r.points, r.rank_change) for r in board.items]


def mine(board: Leaderboard) -> list[tuple[int, str, int, int]]:
    return [(r.rank, r.team_name, r.points, r.rank_change) for r in board.mine]


@pytest.fixture
async def season(world: World) -> dict:
    """The four teams of the scoring tests; Alpha and Charlie share an owner."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    owner = await world.user("olivia")
    alpha = await world.team("Alpha", owner=owner)
    bravo = await world.team("Bravo")
    charlie = await world.team("Charlie", owner=owner)
    delta = await world.team("Delta")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.lineup(
        charlie,
        ["HUL", "RIC", "ALB", "OCO", "LEC"],
        captain="HUL",
        saved_at=BELGIUM_LOCK + timedelta(hours=1),
    )
    await world.lineup(delta, ["VER", "NOR", "LEC", "ALO", "OCO"], captain="VER", saved_at=EARLY)
    await world.lineup(
        delta,
        ["RIC", "HUL", "ALB", "ALO", "PER"],
        captain="RIC",
        saved_at=BELGIUM_LOCK + timedelta(days=3),
    )
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    return {
        "world": world,
        "belgium": belgium,
        "singapore": singapore,
        "owner": owner,
        "alpha": alpha,
        "bravo": bravo,
        "charlie": charlie,
        "delta": delta,
    }


async def test_after_one_race_nobody_has_moved(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    board = await overall_leaderboard(season=2024, user_id=season["owner"].id)
    # Belgium: Bravo 86, Delta 55, Alpha 44; Charlie had no lineup in time: 0 but still listed.
    assert table(board) == [
        (1, "Bravo", 86, 0),
        (2, "Delta", 55, 0),
        (3, "Alpha", 44, 0),
        (4, "Charlie", 0, 0),
    ]
    assert board.total == 4
    assert mine(board) == [(3, "Alpha", 44, 0), (4, "Charlie", 0, 0)]


async def test_rank_change_after_the_second_race(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    board = await overall_leaderboard(season=2024)
    # Totals: Bravo 86+66, Alpha 44+52, Delta 55+17, Charlie 19. Alpha passes Delta.
    assert table(board) == [
        (1, "Bravo", 152, 0),
        (2, "Alpha", 96, 1),
        (3, "Delta", 72, -1),
        (4, "Charlie", 19, 0),
    ]
    race = await overall_leaderboard(race_id=season["singapore"].id)
    # Singapore alone, compared with the Belgium race table (Charlie was not on it).
    assert table(race) == [
        (1, "Bravo", 66, 0),
        (2, "Alpha", 52, 1),
        (3, "Charlie", 19, 0),
        (4, "Delta", 17, -2),
    ]
    assert race.total == 4


async def test_ties_share_a_rank_and_team_id_breaks_them(world: World) -> None:
    race = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    same = ["RUS", "HAM", "PIA", "ZHO", "RIC"]
    teams = [await world.team(name) for name in ("Tie-b", "Lead", "Tie-a", "Last")]
    await world.lineup(teams[0], same, captain="RUS", saved_at=EARLY)
    await world.lineup(teams[1], ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.lineup(teams[2], same, captain="RUS", saved_at=EARLY)
    await world.lineup(teams[3], ["ZHO", "HUL", "ALB", "RIC", "OCO"], captain="ZHO", saved_at=EARLY)
    await world.results(race, BELGIUM)
    await rescore_race(race_id=race.id)
    board = await overall_leaderboard(season=2024)
    assert [(r.rank, r.team_name, r.points) for r in board.items] == [
        (1, "Lead", 86),
        (2, "Tie-b", 44),
        (2, "Tie-a", 44),
        (4, "Last", 3),
    ]
    # A page starting inside the tie still shows the shared rank.
    page = await overall_leaderboard(season=2024, offset=2, limit=1)
    assert [(r.rank, r.team_name) for r in page.items] == [(2, "Tie-a")]
    assert page.total == 4


async def test_rebuild_after_flushdb_gives_identical_boards(season: dict, redis: Redis) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    league = await season["world"].league(
        "Friends", owner=season["owner"], teams=[season["alpha"], season["delta"]], public=False
    )

    async def boards() -> list[Leaderboard]:
        user = season["owner"].id
        return [
            await overall_leaderboard(season=2024, user_id=user),
            await overall_leaderboard(season=2024, offset=1, limit=2, user_id=user),
            await overall_leaderboard(race_id=season["belgium"].id, user_id=user),
            await overall_leaderboard(race_id=season["singapore"].id, user_id=user),
            await league_leaderboard(league_id=league.id, user_id=user),
            await league_leaderboard(
                league_id=league.id, race_id=season["singapore"].id, user_id=user
            ),
        ]

    before = await boards()
    await redis.flushdb()
    assert await boards() == before
    await redis.flushdb()
    report = await rebuild_leaderboards(season=2024)
    assert (report.teams, report.races) == (4, 2)
    assert await boards() == before
    assert table(before[4]) == [(1, "Alpha", 96, 1), (2, "Delta", 72, -1)]


async def test_corrections_update_boards_in_place(season: dict, redis: Redis) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    await overall_leaderboard(season=2024)
    # Russell reinstated in Singapore's results? Here: Ricciardo loses the fastest lap.
    corrected = [(c, t, s, None if c == "RIC" else f) for c, t, s, f in SINGAPORE]
    await season["world"].results(season["singapore"], corrected)
    result = await rescore_race(race_id=season["singapore"].id)
    assert {c.team_id for c in result.changes} == {
        season["alpha"].id,
        season["charlie"].id,
        season["delta"].id,
    }
    live = await overall_leaderboard(season=2024)
    live_race = await overall_leaderboard(race_id=season["singapore"].id)
    await redis.flushdb()
    assert await overall_leaderboard(season=2024) == live
    assert await overall_leaderboard(race_id=season["singapore"].id) == live_race
    # Alpha 96-5, Charlie 19-5, Delta 72-10.
    assert table(live) == [
        (1, "Bravo", 152, 0),
        (2, "Alpha", 91, 1),
        (3, "Delta", 62, -1),
        (4, "Charlie", 14, 0),
    ]


async def test_a_new_team_appears_at_the_bottom(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await overall_leaderboard(season=2024)
    late = await season["world"].team("Latecomer")
    await add_team_to_boards(team_id=late.id)
    board = await overall_leaderboard(season=2024)
    assert table(board)[-1] == (4, "Latecomer", 0, 0)
    assert board.total == 5


async def test_a_team_created_by_its_owner_shows_on_everyones_board(season: dict) -> None:
    from webapp.teams.service import create_team

    await rescore_race(race_id=season["belgium"].id)
    assert (await overall_leaderboard(season=2024)).total == 4
    world = season["world"]
    picks = [driver.id for driver in list(world.drivers.values())[:5]]
    await create_team(
        owner=await world.user("newcomer"),
        name="Fresh",
        driver_ids=picks,
        captain_id=picks[0],
        season=2024,
    )
    board = await overall_leaderboard(season=2024)  # an anonymous reader's
    assert board.total == 5 and table(board)[-1] == (4, "Fresh", 0, 0)


async def test_my_rows_follow_my_new_team_and_the_next_rescoring(season: dict) -> None:
    from webapp.teams.service import create_team

    world, owner = season["world"], season["owner"]
    await rescore_race(race_id=season["belgium"].id)
    before = await overall_leaderboard(season=2024, user_id=owner.id)
    assert [(r.team_name, r.rank) for r in before.mine] == [("Alpha", 3), ("Charlie", 4)]
    picks = [driver.id for driver in list(world.drivers.values())[:5]]
    await create_team(owner=owner, name="Third", driver_ids=picks, captain_id=picks[0], season=2024)
    await overall_leaderboard(season=2024)  # someone else's read caches the new page
    after = await overall_leaderboard(season=2024, user_id=owner.id)
    assert [(r.team_name, r.rank) for r in after.mine] == [
        ("Alpha", 3),
        ("Charlie", 4),
        ("Third", 4),  # 0 points, like Charlie: ties share a rank
    ]
    await rescore_race(race_id=season["singapore"].id)
    await overall_leaderboard(season=2024)
    moved = await overall_leaderboard(season=2024, user_id=owner.id)
    assert [(r.team_name, r.points) for r in moved.mine] == [
        (r.team_name, r.points) for r in moved.items if r.team_id in {m.team_id for m in moved.mine}
    ]
    assert moved.mine != after.mine


async def test_reads_leave_a_board_as_they_find_it(season: dict, redis: Redis) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await overall_leaderboard(season=2024)
    # Created without telling the boards: a read shows the board as it is and writes nothing.
    late = await Team.create(owner=season["owner"], season_id=2024, name="Quiet")
    board = await overall_leaderboard(season=2024, user_id=season["owner"].id)
    assert [(r.team_name, r.rank) for r in board.mine] == [("Alpha", 3), ("Charlie", 4)]
    assert board.total == 4
    assert await redis.zscore("lb:2024:overall:classic", str(late.id)) is None
    # The next rebuild from PostgreSQL (or the team's first scoring) puts it there.
    await rebuild_leaderboards(season=2024)
    board = await overall_leaderboard(season=2024, user_id=season["owner"].id)
    assert [(r.team_name, r.rank) for r in board.mine] == [
        ("Alpha", 3),
        ("Charlie", 4),
        ("Quiet", 4),
    ]
    assert board.total == 5 and late.id in {r.team_id for r in board.items}


async def test_league_boards_follow_membership(season: dict, redis: Redis) -> None:
    from webapp.leaderboards.queries import MEMBERS
    from webapp.leagues.service import join_public, remove_team
    from webapp.models import LeagueMember, User

    await rescore_race(race_id=season["belgium"].id)
    league = await season["world"].league(
        "Open", owner=season["owner"], teams=[season["alpha"]], public=True
    )
    assert table(await league_leaderboard(league_id=league.id)) == [(1, "Alpha", 44, 0)]
    # Joining and leaving show at once...
    bravo_owner = await User.get(id=season["bravo"].owner_id)
    await join_public(user=bravo_owner, league_id=league.id, team_id=season["bravo"].id)
    board = await league_leaderboard(league_id=league.id)
    assert table(board) == [(1, "Bravo", 86, 0), (2, "Alpha", 44, 0)]
    await remove_team(user=bravo_owner, league_id=league.id, team_id=season["bravo"].id)
    assert table(await league_leaderboard(league_id=league.id)) == [(1, "Alpha", 44, 0)]
    # ...and a change made behind the leagues' back (a team deleted with its memberships)
    # once the few seconds the members' signature is remembered are over.
    await LeagueMember.create(league=league, team=season["bravo"])
    assert table(await league_leaderboard(league_id=league.id)) == [(1, "Alpha", 44, 0)]
    members = MEMBERS.key(league.id).redis_key
    assert 0 < await redis.ttl(members) <= 5
    await redis.delete(members)
    board = await league_leaderboard(league_id=league.id)
    assert table(board) == [(1, "Bravo", 86, 0), (2, "Alpha", 44, 0)]


async def test_private_league_is_hidden_from_outsiders(season: dict) -> None:
    league = await season["world"].league(
        "Secret", owner=season["owner"], teams=[season["alpha"]], public=False
    )
    outsider = await season["world"].user("mallory")
    for user_id in (None, outsider.id):
        with pytest.raises(AppError) as caught:
            await league_leaderboard(league_id=league.id, user_id=user_id)
        assert caught.value.status == 404
    board = await league_leaderboard(league_id=league.id, user_id=season["owner"].id)
    assert [r.team_name for r in board.mine] == ["Alpha"]


async def test_race_of_another_season_is_a_mismatch(season: dict) -> None:
    with pytest.raises(AppError) as caught:
        await overall_leaderboard(season=2023, race_id=season["belgium"].id)
    assert caught.value.code == "season_mismatch"
    with pytest.raises(AppError) as missing:
        await overall_leaderboard(season=1999)
    assert missing.value.status == 404

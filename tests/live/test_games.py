"""Live boards per game: topics name a game, and each board shows that game's teams."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart import Quart

from tests.live.scenario import (
    ALPHA_AHEAD,
    badge_count,
    cheap_driver_ids,
    publish_results,
    race_one,
    row_points,
)
from tests.live.test_ws import ORIGIN, Login, body_of, ids, receive_until
from webapp.events import Event, publish, user_channel
from webapp.live.hub import Topic
from webapp.live.render import board_wants
from webapp.live.topics import parse_topics
from webapp.models import User
from webapp.results.manual import set_driver_of_the_day
from webapp.teams.service import create_team


def test_topics_name_a_game_or_are_classic() -> None:
    raw = "leaderboard,leaderboard:grand_prix,leaderboard:rally,race:3,race:3:grand_prix,"
    raw += "race:3:rally,league:7,league:7:grand_prix,user"
    assert parse_topics(raw) == [
        ("leaderboard", None, "classic"),
        ("leaderboard", None, "grand_prix"),
        ("race", 3, "classic"),
        ("race", 3, "grand_prix"),
        ("league", 7, "classic"),
        ("user", None, "classic"),
    ]


def test_a_scores_event_naming_a_game_moves_only_its_boards() -> None:
    classic = Topic("leaderboard", "leaderboard", 0, 2025, ("s",))
    grand_prix = Topic("leaderboard:grand_prix", "leaderboard", 0, 2025, ("s",), "grand_prix")
    event = {"type": Event.SCORES, "season": 2025, "race_id": 1, "game": "grand_prix"}
    assert board_wants(grand_prix, event) and not board_wants(classic, event)
    # Published before events named their game: a classic rescoring's.
    unnamed = {"type": Event.SCORES, "season": 2025, "race_id": 1}
    assert board_wants(classic, unnamed) and not board_wants(grand_prix, unnamed)


async def test_a_socket_watches_the_grand_prix_boards(
    app: Quart,
    season: int,
    make_user: Callable[..., Awaitable[User]],
    constructor_prices: dict[str, int],
) -> None:
    drivers = list((await cheap_driver_ids(season)).values())
    classic = await create_team(
        owner=await make_user("alice"), name="Classic", driver_ids=drivers, captain_id=drivers[0]
    )
    grand_prix = await create_team(
        owner=await make_user("bob"),
        name="Weekender",
        driver_ids=drivers,
        captain_id=drivers[0],
        game="grand_prix",
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
    )
    race = await race_one(season)
    topics = f"leaderboard:grand_prix,race:{race.id}:grand_prix,leaderboard:rally"
    seen: list[str] = []
    async with app.test_client().websocket(f"/ws?topics={topics}", headers=ORIGIN) as ws:
        board = await receive_until(ws, body_of("leaderboard-grand_prix"), seen)
        await receive_until(ws, body_of(f"race-{race.id}-grand_prix"), seen)
    assert ids(seen) == {"lb-body-leaderboard-grand_prix", f"lb-body-race-{race.id}-grand_prix"}
    assert f'id="lb-row-{grand_prix.id}"' in board
    assert f'id="lb-row-{classic.id}"' not in board


async def test_a_grand_prix_rescoring_redraws_only_grand_prix_boards(
    app: Quart,
    season: int,
    make_user: Callable[..., Awaitable[User]],
    constructor_prices: dict[str, int],
    login: Login,
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    race = await race_one(season)
    drivers = list((await cheap_driver_ids(season)).values())
    before_lock = race.lock_at - timedelta(days=1)
    classic = await create_team(
        owner=alice, name="Classic", driver_ids=drivers, captain_id=drivers[0], now=before_lock
    )
    grand_prix = await create_team(
        owner=bob,
        name="Weekender",
        driver_ids=drivers,
        captain_id=drivers[0],
        game="grand_prix",
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
        now=before_lock,
    )
    await publish_results(season=season, race=race, order=ALPHA_AHEAD)
    watcher = app.test_client()
    await login(watcher, alice)
    classic_seen: list[str] = []
    gp_seen: list[str] = []
    classic_topics = f"leaderboard,race:{race.id},user"
    gp_topics = f"leaderboard:grand_prix,race:{race.id}:grand_prix"
    async with (
        watcher.websocket(f"/ws?topics={classic_topics}", headers=ORIGIN) as classic_ws,
        app.test_client().websocket(f"/ws?topics={gp_topics}", headers=ORIGIN) as gp_ws,
    ):
        # Both sockets first catch up with every topic they watch.
        await receive_until(classic_ws, body_of("leaderboard"), classic_seen)
        await receive_until(classic_ws, body_of(f"race-{race.id}"), classic_seen)
        await receive_until(classic_ws, lambda m: badge_count(m) is not None, classic_seen)
        board = await receive_until(gp_ws, body_of("leaderboard-grand_prix"), gp_seen)
        await receive_until(gp_ws, body_of(f"race-{race.id}-grand_prix"), gp_seen)
        before = row_points(board, grand_prix.id)
        caught_up = len(classic_seen)

        # Driver of the Day scores in Grand Prix only (+10, not the captain): one game moves.
        await set_driver_of_the_day(race_id=race.id, driver_id=drivers[1])

        board = await receive_until(gp_ws, body_of("leaderboard-grand_prix"), gp_seen)
        race_board = await receive_until(gp_ws, body_of(f"race-{race.id}-grand_prix"), gp_seen)
        # The hub handles events in order: once this later one arrives on the classic
        # socket, any redraw the rescoring caused there would have come before it.
        await publish(user_channel(alice.id), {"type": Event.READ, "user_id": alice.id})
        await receive_until(classic_ws, lambda m: badge_count(m) is not None, classic_seen)

    assert before is not None
    assert row_points(board, grand_prix.id) == before + 10
    assert row_points(race_board, grand_prix.id) == before + 10
    assert ids(classic_seen[caught_up:]) == {"unread-badge"}
    assert f'id="lb-row-{classic.id}"' in classic_seen[0]

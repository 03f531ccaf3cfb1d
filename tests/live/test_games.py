"""Live boards per game: topics name a game, and each board shows that game's teams."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart import Quart

from tests.live.scenario import cheap_driver_ids, race_one
from tests.live.test_ws import ORIGIN, body_of, ids, receive_until
from webapp.events import Event
from webapp.live.hub import Topic
from webapp.live.render import board_wants
from webapp.live.topics import parse_topics
from webapp.models import User
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
    event = {"type": Event.SCORES, "season": 2025, "race_id": 1, "system": "grand_prix"}
    assert board_wants(grand_prix, event) and not board_wants(classic, event)
    unnamed = {"type": Event.SCORES, "season": 2025, "race_id": 1}
    assert board_wants(grand_prix, unnamed) and board_wants(classic, unnamed)


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

"""`/ws` through Quart's test client, on real Redis: topics, origin, OOB updates, catch-up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart import Quart
from quart.testing.connections import WebsocketResponseError

from tests.live.scenario import (
    ALPHA_AHEAD,
    BRAVO_AHEAD,
    Scenario,
    badge_count,
    build_league,
    publish_results,
    row_points,
    row_rank,
)
from webapp.events import league_channel, publish, user_channel
from webapp.models import User

ORIGIN = {"Origin": "http://localhost"}
# Only a guard against a hang: every wait below ends as soon as the message arrives.
GUARD_SECONDS = 10.0
Login = Callable[..., Awaitable[None]]


async def receive_until(ws: Any, wanted: Callable[[str], bool], seen: list[str]) -> str:
    """Receive messages (recording each in `seen`) until one is wanted."""
    for _ in range(100):
        try:
            message = await asyncio.wait_for(ws.receive(), GUARD_SECONDS)
        except TimeoutError:
            raise AssertionError(f"no wanted message; got {len(seen)}: {seen[-3:]}") from None
        seen.append(message)
        if wanted(message):
            return message
    raise AssertionError(f"no wanted message among {len(seen)}")


def body_of(key: str) -> Callable[[str], bool]:
    """Match a message that replaces the table body of a board topic."""
    return lambda message: f'<tbody id="lb-body-{key}" hx-swap-oob="true">' in message


def ids(messages: list[str]) -> set[str]:
    return {i for m in messages for i in re.findall(r'<(?:tbody|span) id="([^"]+)"', m)}


@pytest.fixture
async def world(season: int, make_user: Callable[..., Awaitable[User]]) -> Scenario:
    alice, bob = await make_user("alice"), await make_user("bob")
    return await build_league(season=season, alice=alice, bob=bob, public=False)


async def test_anonymous_sockets_get_public_topics_only(
    app: Quart, season: int, make_user: Callable[..., Awaitable[User]]
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    open_league = await build_league(season=season, alice=alice, bob=bob, name="Open Club")
    carol, dave = await make_user("carol"), await make_user("dave")
    private = await build_league(
        season=season, alice=carol, bob=dave, public=False, name="Secret Club"
    )
    open_id, private_id = open_league.league.id, private.league.id
    race_id = open_league.race.id
    topics = f"leaderboard,league:{open_id},league:{private_id},user,race:{race_id},nope,league:x"

    seen: list[str] = []
    async with app.test_client().websocket(f"/ws?topics={topics}", headers=ORIGIN) as ws:
        await receive_until(ws, body_of(f"race-{race_id}"), seen)
        # A change in the private league, then one in the public league: only the second
        # reaches this socket, and the hub keeps events in order, so the first never will.
        await publish(league_channel(private_id), {"type": "members", "league_id": private_id})
        await publish(league_channel(open_id), {"type": "members", "league_id": open_id})
        await receive_until(ws, body_of(f"league-{open_id}"), seen)

    assert ids(seen) == {
        "lb-body-leaderboard",
        f"lb-body-league-{open_id}",
        f"lb-body-race-{race_id}",
    }
    assert not any("unread-badge" in m for m in seen)


async def test_origin_must_be_this_site(app: Quart, world: Scenario) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {}):
        client = app.test_client()
        with pytest.raises(WebsocketResponseError) as refused:
            async with client.websocket("/ws?topics=leaderboard", headers=headers) as ws:
                await asyncio.wait_for(ws.receive(), GUARD_SECONDS)
        assert refused.value.response.status_code == 403, headers

    async with app.test_client().websocket("/ws?topics=leaderboard", headers=ORIGIN) as ws:
        assert body_of("leaderboard")(await asyncio.wait_for(ws.receive(), GUARD_SECONDS))


async def test_members_see_a_correction_move_rows_badge_and_toast(
    app: Quart, season: int, world: Scenario, login: Login
) -> None:
    league_id = world.league.id
    await publish_results(season=season, race=world.race, order=ALPHA_AHEAD)
    bob = app.test_client()
    await login(bob, world.bob)

    seen: list[str] = []
    async with bob.websocket(f"/ws?topics=league:{league_id},user", headers=ORIGIN) as ws:
        # On (re)connect the page catches up with the current table and badge.
        table = await receive_until(ws, body_of(f"league-{league_id}"), seen)
        assert (row_rank(table, world.alpha.id), row_rank(table, world.bravo.id)) == (1, 2)
        before = row_points(table, world.bravo.id)
        badge = await receive_until(ws, lambda m: badge_count(m) is not None, seen)
        unread = badge_count(badge)
        assert unread is not None and unread >= 1

        await publish_results(season=season, race=world.race, order=BRAVO_AHEAD)

        table = await receive_until(
            ws,
            lambda m: body_of(f"league-{league_id}")(m) and row_rank(m, world.bravo.id) == 1,
            seen,
        )
        assert row_rank(table, world.alpha.id) == 2
        after = row_points(table, world.bravo.id)
        assert before is not None and after is not None and after > before
        note = await receive_until(ws, lambda m: 'hx-swap-oob="beforeend:#toasts"' in m, seen)
        # Bob's race score changed and Bravo went up: two new notifications, badge and toasts.
        assert badge_count(note) == unread + 2
        assert "Bravo moved up to 1st in Friday Club" in note
        assert "Bravo&#39;s score changed" in note


async def test_private_league_is_ignored_for_outsiders(
    app: Quart, world: Scenario, make_user: Callable[..., Awaitable[User]], login: Login
) -> None:
    outsider = app.test_client()
    await login(outsider, await make_user("mallory"))
    seen: list[str] = []
    topics = f"league:{world.league.id},user"
    async with outsider.websocket(f"/ws?topics={topics}", headers=ORIGIN) as ws:
        await receive_until(ws, lambda m: badge_count(m) == 0, seen)
        await publish(
            league_channel(world.league.id), {"type": "members", "league_id": world.league.id}
        )
        # Mallory's own badge update follows in order: once it is here, the other is not coming.
        mallory = await User.get(username="mallory")
        await publish(user_channel(mallory.id), {"type": "read", "user_id": mallory.id})
        await receive_until(ws, lambda m: badge_count(m) == 0, seen)
    assert len(seen) == 2
    assert not any("lb-body-league" in m for m in seen)

"""Across processes: a result reaches sockets on two web processes through Redis pub/sub.

An admin asks web process A for a poll; the worker fetches the (fake) feed, stores and
rescores; A and B each hear the event on Redis and push the new rows to their own socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.live.scenario import Scenario, build_league, row_points
from tests.live.servers import (
    Process,
    child_env,
    free_port,
    stop_all,
    wait_ready,
    web,
    worker,
)
from tests.results.conftest import FakeFeed
from webapp.auth.tokens import create_access_token
from webapp.models import User
from webapp.settings import get_settings

GUARD_SECONDS = 30.0  # a poll goes web -> stream -> worker -> feed -> database -> pub/sub


@pytest.fixture
def fake_feed() -> AsyncIterator[FakeFeed]:
    server = FakeFeed()
    server.start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


@pytest.fixture
async def servers(
    season: int, fake_feed: FakeFeed, redis: object
) -> AsyncIterator[tuple[str, str]]:
    """Start web processes A and B and one worker; return the two base URLs."""
    env = child_env(RESULTS_API_URL=fake_feed.url)
    ports = free_port(), free_port()
    processes: list[Process] = [web(port, env).start() for port in ports]
    processes.append(worker(env).start())
    try:
        urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
        for process, url in zip(processes, urls, strict=False):
            await wait_ready(process, url)
        yield urls  # type: ignore[misc]
    finally:
        stop_all(processes)


async def table_with(socket: ClientConnection, key: str, check: Callable[[str], bool]) -> str:
    """Receive until the table of `key` arrives and passes `check`."""
    marker = f'<tbody id="lb-body-{key}" hx-swap-oob="true">'
    while True:
        try:
            message = str(await asyncio.wait_for(socket.recv(), GUARD_SECONDS))
        except TimeoutError:
            raise AssertionError(f"no {key} table passing the check in {GUARD_SECONDS} s") from None
        if marker in message and check(message):
            return message


async def poll_now(base_url: str, race_id: int, admin: User) -> None:
    token, _ = create_access_token(
        user=admin, secret=get_settings().signing_key(), access_minutes=30
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base_url}/api/v1/admin/races/{race_id}/poll",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 202, response.text


async def test_both_web_processes_push_a_results_change_to_their_sockets(
    season: int,
    make_user: Callable[..., Awaitable[User]],
    fake_feed: FakeFeed,
    servers: tuple[str, str],
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    admin = await make_user("admin", is_admin=True)
    world: Scenario = await build_league(season=season, alice=alice, bob=bob)
    key = f"league-{world.league.id}"
    path = f"/ws?topics=league:{world.league.id}"
    race_round = f"/{season}/{world.race.round}/results.json"
    fake_feed.serve_fixture(race_round, f"{season}/1/results.json")

    a_url, b_url = servers
    async with (
        connect(a_url.replace("http", "ws") + path, origin=a_url) as on_a,  # type: ignore[arg-type]
        connect(b_url.replace("http", "ws") + path, origin=b_url) as on_b,  # type: ignore[arg-type]
    ):
        for socket in (on_a, on_b):  # each catches up with the table as it stands
            await table_with(socket, key, lambda m: row_points(m, world.bravo.id) == 0)

        # Albon, Bravo's captain, finishes fifth: 10 points, doubled.
        await poll_now(a_url, world.race.id, admin)
        for socket in (on_a, on_b):
            table = await table_with(socket, key, lambda m: row_points(m, world.bravo.id) == 20)
            assert row_points(table, world.alpha.id) == 10

        # The stewards disqualify the winner: Albon moves up to fourth.
        fake_feed.serve_fixture(race_round, f"{season}/1/results_corrected.json")
        await poll_now(a_url, world.race.id, admin)
        for socket in (on_a, on_b):
            table = await table_with(socket, key, lambda m: row_points(m, world.bravo.id) == 24)
            assert row_points(table, world.alpha.id) == 12

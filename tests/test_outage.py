"""A web process that loses PostgreSQL or Redis answers 503 with Retry-After, never 500."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.conftest import asyncpg_dsn
from tests.live.servers import child_env, running_web
from webapp.leaderboards.refresh import add_team_to_boards
from webapp.models import Team, User
from webapp.settings import Settings

APP_NAME = "paddock-outage-test"
ROUNDS = 40
DB_READS = ("/api/v1/races", "/api/v1/drivers", "/races", "/")


class CuttableProxy:
    """A TCP proxy to a real server that a test can cut (like a server going away) and mend."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen (again) on the same port."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


def through(url: str, port: int, **query: str) -> str:
    """Return `url` pointed at 127.0.0.1:`port`, with extra query parameters."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@127.0.0.1:{port}" if parts.username else f"127.0.0.1:{port}"
    extra = "&".join(f"{k}={v}" for k, v in query.items())
    q = "&".join(p for p in (parts.query, extra) if p)
    return urlunsplit((parts.scheme, netloc, parts.path, q, ""))


def assert_unavailable(response: httpx.Response, *, service: str) -> None:
    """Check the 503 answer: Retry-After, and the error JSON or the friendly page."""
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["Retry-After"]) > 0
    if response.request.url.path.startswith("/api/"):
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
        assert error["details"]["service"] == service
    else:
        assert "Back in a moment" in response.text and "try again" in response.text.lower()


async def outage_count(client: httpx.AsyncClient, service: str) -> float:
    """Read the web process's count of requests refused for `service`."""
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(f'paddock_service_unavailable_total{{service="{service}"}}'):
            return float(line.split()[-1])
    return 0.0


async def test_cut_database_connections_answer_503_never_500(
    season: int, settings: Settings
) -> None:
    assert settings.database_url
    url = settings.database_url
    env = child_env(DATABASE_URL=f"{url}{'&' if '?' in url else '?'}application_name={APP_NAME}")
    admin = await asyncpg.connect(asyncpg_dsn(url))
    statuses: Counter[int] = Counter()
    stop = asyncio.Event()

    async def terminate() -> None:
        while not stop.is_set():
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                APP_NAME,
            )
            await asyncio.sleep(0.05)

    try:
        async with running_web(env) as base, httpx.AsyncClient(base_url=base) as client:
            killer = asyncio.create_task(terminate())
            try:
                for _ in range(ROUNDS):
                    answers = await asyncio.gather(*(client.get(path) for path in DB_READS))
                    for response in answers:
                        statuses[response.status_code] += 1
                        if response.status_code == 503:
                            assert_unavailable(response, service="postgresql")
            finally:
                stop.set()
                await killer
            assert statuses[500] == 0, statuses
            assert set(statuses) <= {200, 503}, statuses
            assert await outage_count(client, "postgresql") == statuses[503]
            # Once the connections are left alone, everything answers again.
            for path in DB_READS:
                assert (await client.get(path)).status_code == 200
    finally:
        await admin.close()


async def test_database_down_is_503_and_a_cached_board_is_still_served(
    season: int, settings: Settings, make_user: Callable[..., Awaitable[User]]
) -> None:
    assert settings.database_url
    team = await Team.create(owner=await make_user(), season_id=season, name="Alpha")
    await add_team_to_boards(team_id=team.id)
    parts = urlsplit(settings.database_url)
    proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    env = child_env(DATABASE_URL=through(settings.database_url, proxy.port))
    async with running_web(env) as base, httpx.AsyncClient(base_url=base) as client:
        board = await client.get("/api/v1/leaderboard")
        assert board.status_code == 200 and board.json()["items"][0]["team"]["name"] == "Alpha"
        await proxy.cut()

        for path in DB_READS:
            assert_unavailable(await client.get(path), service="postgresql")
        # The board is in Redis: readers keep seeing it while the database is away.
        again = await client.get("/api/v1/leaderboard")
        assert again.status_code == 200 and again.json() == board.json()
        assert await outage_count(client, "postgresql") == len(DB_READS)

        await proxy.start()
        for path in DB_READS:
            assert (await client.get(path)).status_code == 200


async def test_redis_down_is_503_for_pages_and_the_api(season: int, settings: Settings) -> None:
    assert settings.redis_url
    parts = urlsplit(settings.redis_url)
    if parts.scheme not in {"redis", "rediss"}:
        pytest.skip("Redis is on a unix socket here")
    proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.start()
    env = child_env(REDIS_URL=through(settings.redis_url, proxy.port))
    async with running_web(env) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/api/v1/leaderboard")).status_code == 200
        await proxy.cut()

        # The API's rate limit and the boards live in Redis; a plain page may do without it.
        for path in ("/api/v1/leaderboard", "/api/v1/races", "/leaderboard"):
            assert_unavailable(await client.get(path), service="redis")
        races = await client.get("/races")
        assert races.status_code == 200 or assert_unavailable(races, service="redis") is None
        assert await outage_count(client, "redis") == 3 + (races.status_code == 503)

        await proxy.start()
        assert (await client.get("/api/v1/races")).status_code == 200

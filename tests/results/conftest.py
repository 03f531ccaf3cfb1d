"""A fake results feed over real HTTP, serving Ergast-shaped JSON that the tests write."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import threading
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from redis.asyncio import Redis

from webapp.models import Driver, Lineup, LineupDriver, Race, Team, User
from webapp.results.feed import FeedClient
from webapp.settings import ROOT, Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feed"
ROW_KEYS = ("Results", "SprintResults", "QualifyingResults")


def load_fixture(name: str) -> dict[str, Any]:
    """Return a feed document from tests/fixtures/feed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


async def admin_items(name: str) -> list[dict[str, Any]]:
    """Return a feed fixture's results as the admin API's items."""
    ids = {d.ref: d.id for d in await Driver.all()}
    rows = load_fixture(name)["MRData"]["RaceTable"]["Races"][0]["Results"]
    return [
        {
            "driver_id": ids[r["Driver"]["driverId"]],
            "position_text": r["positionText"],
            "grid": int(r["grid"]),
            "laps": int(r["laps"]),
            "status": r["status"],
            "fastest_lap_rank": int(r["FastestLap"]["rank"]) if "FastestLap" in r else None,
        }
        for r in rows
    ]


@dataclass
class Reply:
    """One scripted answer: a status, a body (text or JSON), headers, or no answer at all."""

    status: int = 200
    body: Any = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


def paginate(doc: dict[str, Any], *, limit: int, offset: int) -> dict[str, Any]:
    """Cut a whole feed document to one page, the way the feed pages by row."""
    doc = copy.deepcopy(doc)
    data = doc["MRData"]
    if "RaceTable" in data:
        races = data["RaceTable"]["Races"]
        key = next((k for k in ROW_KEYS if races and k in races[0]), None)
        if key is None:
            total, data["RaceTable"]["Races"] = len(races), races[offset : offset + limit]
        else:
            rows = [(i, row) for i, race in enumerate(races) for row in race[key]]
            total = len(rows)
            page: dict[int, dict[str, Any]] = {}
            for i, row in rows[offset : offset + limit]:
                page.setdefault(i, {**races[i], key: []})[key].append(row)
            data["RaceTable"]["Races"] = list(page.values())
    else:
        table, items = (
            ("DriverTable", "Drivers")
            if "DriverTable" in data
            else ("ConstructorTable", "Constructors")
        )
        everything = data[table][items]
        total, data[table][items] = len(everything), everything[offset : offset + limit]
    data.update(limit=str(limit), offset=str(offset), total=str(total))
    return doc


class FakeFeed:
    """An Ergast-compatible HTTP server on 127.0.0.1 that answers what a test asks."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.page_cap = 100
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL to use as RESULTS_API_URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/ergast/f1"

    def serve(self, path: str, doc: dict[str, Any]) -> None:
        """Answer `path` (relative to the base) with `doc`, paginated."""
        self.docs[path] = doc

    def serve_fixture(self, path: str, name: str | None = None) -> dict[str, Any]:
        """Answer `path` with the fixture of the same name (or `name`) and return it."""
        doc = load_fixture(name or path.lstrip("/"))
        self.serve(path, doc)
        return doc

    def script(self, path: str, *replies: dict[str, Any]) -> None:
        """Answer the next requests for `path` with `replies` (Reply fields), then the document."""
        self.scripted[path].extend(Reply(**reply) for reply in replies)

    def hits(self, path: str) -> int:
        """Return how many requests asked for `path`."""
        return sum(1 for p, _ in self.requests if p == path)

    def _answer(self, path: str, query: dict[str, str]) -> Reply:
        self.requests.append((path, query))
        if self.scripted[path]:
            return self.scripted[path].popleft()
        if path not in self.docs:
            return Reply(404, {"detail": "Not found."})
        limit = min(int(query.get("limit", "30")), self.page_cap)
        return Reply(
            200, paginate(self.docs[path], limit=limit, offset=int(query.get("offset", "0")))
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path.removeprefix("/ergast/f1")
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                reply = feed._answer(path, query)
                if reply.hang:
                    feed.release.wait(timeout=10)
                    return
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        """Serve in a background thread."""
        self.thread.start()

    def stop(self) -> None:
        """Release hanging answers and stop serving."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed() -> Iterator[FakeFeed]:
    """Run a fake feed for one test."""
    server = FakeFeed()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Sleeps(list[float]):
    """An injectable sleep that records what it was asked to wait, and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """Return a fresh recording sleep."""
    return Sleeps()


@pytest.fixture
def feed_settings(settings: Settings, feed: FakeFeed) -> Settings:
    """Return settings pointed at the fake feed, with a generous budget and a short timeout."""
    return settings.model_copy(
        update={
            "results_api_url": feed.url,
            "feed_rate_per_second": 1000,
            "feed_rate_per_hour": 100_000,
            "feed_timeout_seconds": 0.5,
            "feed_max_attempts": 3,
        }
    )


@pytest.fixture
async def feed_client(
    feed_settings: Settings, redis: Redis, sleeps: Sleeps
) -> AsyncIterator[FeedClient]:
    """Return a feed client of the fake feed whose waits are recorded, not slept."""
    async with FeedClient.from_settings(feed_settings, redis=redis, sleep=sleeps) as client:
        yield client


PollCommand = Callable[[int], Awaitable[tuple[int, str]]]


@pytest.fixture
def poll_command(feed_settings: Settings, feed: FakeFeed) -> PollCommand:
    """Return a runner of `paddock results poll --race ID` on the fake feed: exit code, output."""

    async def run(race_id: int) -> tuple[int, str]:
        env = {
            **os.environ,
            "DATABASE_URL": str(feed_settings.database_url),
            "REDIS_URL": str(feed_settings.redis_url),
            "RESULTS_API_URL": feed.url,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from webapp.cli import main; main()",
            "results", "poll", "--race", str(race_id),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await proc.communicate()
        return proc.returncode or 0, output.decode()

    return run


OFFSETS = [2.0, 24.0, 72.0, 168.0]


@pytest.fixture
async def race_one(season: int) -> Race:
    """Return round 1 of the bundled season (its lineups lock at qualifying)."""
    return await Race.get(season_id=season, round=1)


async def make_team(*, owner: User, name: str, refs: list[str], captain: str, race: Race) -> Team:
    """Create a team whose lineup was saved a day before the race locked."""
    team = await Team.create(owner=owner, season_id=race.season_id, name=name)  # type: ignore[attr-defined]
    drivers = {d.ref: d for d in await Driver.filter(season_id=team.season_id, ref__in=refs)}  # type: ignore[attr-defined]
    lineup = await Lineup.create(
        team=team, saved_at=race.lock_at - timedelta(days=1), captain=drivers[captain]
    )
    for ref in refs:
        driver = drivers[ref]
        await LineupDriver.create(
            lineup=lineup, driver=driver, is_captain=ref == captain, price=driver.price
        )
    return team


@dataclass
class Players:
    alice: Team  # Norris captain: hit hardest by his disqualification
    bob: Team  # Verstappen captain: gains from it
    carol: Team  # only drivers who did not finish: same points either way


@pytest.fixture
async def players(race_one: Race, make_user: Callable[..., Awaitable[User]]) -> Players:
    """Create three players with one team each, all with lineups counting for round 1."""
    users = [await make_user(username=n) for n in ("alice", "bob", "carol")]
    lineups = [
        (["norris", "piastri", "albon", "gasly", "bortoleto"], "norris"),
        (["max_verstappen", "russell", "albon", "bortoleto", "hadjar"], "max_verstappen"),
        (["lawson", "hadjar", "bortoleto", "alonso", "sainz"], "lawson"),
    ]
    teams = [
        await make_team(owner=u, name=f"{u.username} racing", refs=refs, captain=c, race=race_one)
        for u, (refs, c) in zip(users, lineups, strict=True)
    ]
    return Players(*teams)

"""Benchmark: leaderboard reads through a real hypercorn, beside the bare /health endpoint."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.common import bench_services, bench_urls, free_port, print_table, running_server
from webapp.auth.tokens import create_access_token
from webapp.models import League, LeagueMember, Team, User
from webapp.settings import get_settings

# The server and this process sign and check tokens with the same one-off key.
SECRET = secrets.token_urlsafe(48)


@dataclass(frozen=True, slots=True)
class Load:
    """One measured run against one URL."""

    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    def row(self, mode: str) -> list[object]:
        """Return the table row: throughput and latency percentiles in milliseconds."""
        cuts = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0] * 99
        return [
            self.name,
            mode,
            f"{self.requests / self.seconds:,.0f}",
            f"{statistics.median(self.latencies) * 1000:.1f}",
            f"{cuts[94] * 1000:.1f}",
            f"{cuts[98] * 1000:.1f}",
            self.errors,
        ]


def server_env() -> dict[str, str]:
    """Return the environment a benchmarked Paddock process runs with."""
    db_url, redis_url = bench_urls()
    return {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "ENVIRONMENT": "development",
        "RATE_LIMIT_API": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def server(port: int, workers: int) -> Iterator[None]:
    """Run the app under hypercorn on 127.0.0.1 against the benchmark services."""
    args = [
        sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "webapp.app:create_app()",
    ]  # fmt: skip
    with running_server(args, port=port, env=server_env()):
        yield


@dataclass(frozen=True, slots=True)
class Subjects:
    """What the read benchmarks ask about: a player with teams, a public league, the counts."""

    token: str
    user_id: int
    league_id: int
    teams: int
    league_size: int


async def find_subjects() -> Subjects:
    """Find a player and a league in the benchmark data, with an access token for the player."""
    async with bench_services(fresh=False):
        user = await User.filter(teams__isnull=False).order_by("id").first()
        league = await League.filter(is_public=True).order_by("id").first()
        if user is None or league is None:
            raise SystemExit("no benchmark data: run `python -m bench.rescore` first")
        teams = await Team.all().count()
        league_size = await LeagueMember.filter(league=league).count()
        os.environ["SECRET_KEY"] = SECRET
        get_settings.cache_clear()
        token, _ = create_access_token(
            user=user, secret=SECRET, access_minutes=get_settings().access_token_expire_minutes
        )
    return Subjects(token, user.id, league.id, teams, league_size)


class Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses.

    A load generator must cost far less than the server it measures: httpx's pool spends
    about 6 ms of CPU per request at 200 connections (measured here), more than the server
    takes, so each simulated client gets this bare socket instead.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> int:
        """Send one GET and return the status once the whole body has arrived."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{extra}\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head[9:12])
        if "transfer-encoding: chunked" in head:
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        else:
            length = head.split("content-length:", 1)[1].split("\r\n", 1)[0]
            await self.reader.readexactly(int(length))
        if "connection: close" in head:
            await self.close()
        return status

    async def close(self) -> None:
        """Close the socket, if open."""
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def run_load(
    base: tuple[str, int],
    name: str,
    url: str,
    *,
    clients: int,
    total: int,
    rate: float | None,
    headers: dict[str, str] | None = None,
) -> Load:
    """Send `total` GETs from `clients` concurrent clients; paced runs send `rate` req/s in all."""
    latencies: list[float] = []
    errors = 0
    left = total

    async def one_client() -> None:
        nonlocal left, errors
        conn = Connection(*base)
        if rate:
            await asyncio.sleep(random.random() * clients / rate)  # noqa: S311
        try:
            while left > 0:
                left -= 1
                started = time.perf_counter()
                try:
                    if await conn.get(url, headers) != 200:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    await conn.close()
                latencies.append(time.perf_counter() - started)
                if rate:
                    pause = clients / rate - (time.perf_counter() - started)
                    await asyncio.sleep(max(0.0, pause))
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return Load(name, total, time.perf_counter() - started, latencies, errors)


async def main(
    *, clients: int = 200, total: int = 4000, rate: float = 200.0, workers: int = 1, port: int = 0
) -> None:
    """Measure every endpoint at saturation and at a paced rate, in one run."""
    port = port or free_port()
    subjects = await find_subjects()
    teams, league, members = subjects.teams, subjects.league_id, subjects.league_size
    auth = {"Authorization": f"Bearer {subjects.token}"}
    league_url = f"/api/v1/leagues/{league}/leaderboard"
    targets = [
        ("GET /health (bare)", "/health", None),
        ("GET /api/v1/leaderboard", "/api/v1/leaderboard", None),
        ("  … with mine (bearer token)", "/api/v1/leaderboard", auth),
        (f"  … page at offset {teams // 2:,}", f"/api/v1/leaderboard?offset={teams // 2}", None),
        (f"GET {league_url} ({members:,} teams)", league_url, None),
        ("GET /leaderboard (HTML page)", "/leaderboard", None),
    ]
    rows: list[list[object]] = []
    with server(port, workers):
        base = ("127.0.0.1", port)
        for name, url, headers in targets:
            await run_load(base, name, url, clients=20, total=200, rate=None, headers=headers)
            saturated = await run_load(
                base, name, url, clients=clients, total=total, rate=None, headers=headers
            )
            paced = await run_load(
                base, name, url, clients=clients, total=total, rate=rate, headers=headers
            )
            rows.append(saturated.row(f"{clients} clients, no pause"))
            rows.append(paced.row(f"{clients} clients, {rate:.0f} req/s in all"))
    print(f"\n{teams:,} teams; hypercorn workers: {workers}; {total:,} requests per run\n")
    print_table(["endpoint", "load", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rate", type=float, default=200.0, help="paced run: req/s in all")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="web processes (default: one per core, as docs/deployment.md runs them)",
    )
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    asyncio.run(
        main(
            clients=args.clients,
            total=args.requests,
            rate=args.rate,
            workers=args.workers,
            port=args.port,
        )
    )

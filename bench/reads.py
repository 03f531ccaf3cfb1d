"""Benchmark: leaderboard reads through a real hypercorn, beside the bare /health endpoint."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bench.common import bench_services, bench_urls, print_table
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


@contextmanager
def server(port: int, workers: int) -> Iterator[str]:
    """Run the app under hypercorn on 127.0.0.1 against the benchmark services."""
    db_url, redis_url = bench_urls()
    env = os.environ | {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "ENVIRONMENT": "development",
        "RATE_LIMIT_API": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }
    args = [
        sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "webapp.app:create_app()",
    ]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("the benchmark server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def run_load(
    client: httpx.AsyncClient,
    name: str,
    url: str,
    *,
    clients: int,
    total: int,
    rate: float | None,
    headers: dict[str, str] | None = None,
) -> Load:
    """Send `total` GETs from `clients` concurrent clients; each waits 1/rate s between sends."""
    latencies: list[float] = []
    errors = 0
    left = total

    async def one_client() -> None:
        nonlocal left, errors
        if rate:
            await asyncio.sleep(random.random() * clients / rate)  # noqa: S311
        while left > 0:
            left -= 1
            started = time.perf_counter()
            try:
                response = await client.get(url, headers=headers)
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - started)
            if rate:
                await asyncio.sleep(max(0.0, clients / rate - (time.perf_counter() - started)))

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return Load(name, total, time.perf_counter() - started, latencies, errors)


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def main(
    *, clients: int = 200, total: int = 4000, rate: float = 200.0, workers: int = 1, port: int = 0
) -> None:
    """Measure every endpoint at saturation and at a paced rate, in one run."""
    port = port or free_port()
    async with bench_services(fresh=False):
        user = await User.filter(teams__isnull=False).order_by("id").first()
        league = await League.filter(is_public=True).order_by("id").first()
        teams = await Team.all().count()
        league_size = await LeagueMember.filter(league=league).count() if league else 0
        if user is None or league is None:
            raise SystemExit("no benchmark data: run `python -m bench.rescore` first")
        os.environ["SECRET_KEY"] = SECRET
        get_settings.cache_clear()
        token, _ = create_access_token(user=user)
    auth = {"Authorization": f"Bearer {token}"}
    league_url = f"/api/v1/leagues/{league.id}/leaderboard"
    members = league_size
    targets = [
        ("GET /health (bare)", "/health", None),
        ("GET /api/v1/leaderboard", "/api/v1/leaderboard", None),
        ("  … with mine (bearer token)", "/api/v1/leaderboard", auth),
        (f"  … page at offset {teams // 2:,}", f"/api/v1/leaderboard?offset={teams // 2}", None),
        (f"GET {league_url} ({members:,} teams)", league_url, None),
        ("GET /leaderboard (HTML page)", "/leaderboard", None),
    ]
    rows: list[list[object]] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    with server(port, workers) as base:
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            for name, url, headers in targets:
                await run_load(client, name, url, clients=20, total=200, rate=None, headers=headers)
                saturated = await run_load(
                    client, name, url, clients=clients, total=total, rate=None, headers=headers
                )
                paced = await run_load(
                    client, name, url, clients=clients, total=total, rate=rate, headers=headers
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
    parser.add_argument("--workers", type=int, default=1)
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

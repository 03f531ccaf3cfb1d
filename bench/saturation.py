"""Benchmark: reads at saturation, closed-loop with `wrk`, against one web process.

200 connections send back to back (no pause), as a deadline or chequered-flag rush does.
A bare Quart app answering `GET /health` takes the same load in rounds alternating with
each URL's, and every figure is read as a ratio to it: other work on the machine makes
absolute figures drift between runs, while the ratios of one run hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil
from quart import Quart

from bench.common import Server, bench_services, free_port, print_table, running_server
from bench.reads import SECRET, Subjects, find_subjects, server_env
from webapp.auth.sessions import create_session
from webapp.models import Constructor, Driver, Race, Team, User

REPORT_SCRIPT = Path(__file__).with_name("wrk_report.lua")
SESSION_COOKIE = "paddock_session"
# Each web process runs in the hypercorn process itself, as the Procfile's `paddock-web`.
HYPERCORN = [sys.executable, "-m", "hypercorn", "--config", "python:webapp.hypercorn_config"]
ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Target:
    """One URL to load, with the headers of the caller asking."""

    name: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Result:
    """What wrk counted in one or more measured runs, with the server's CPU time."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    timeouts: int
    socket_errors: int
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Return completed requests per second."""
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Return the server's CPU milliseconds per completed request."""
        return self.cpu_seconds * 1000 / max(self.requests, 1)

    @staticmethod
    def pooled(rounds: list[Result]) -> Result:
        """Add runs up: counts and time summed, the median p50, the worst p99."""
        return Result(
            requests=sum(r.requests for r in rounds),
            seconds=sum(r.seconds for r in rounds),
            p50_ms=statistics.median(r.p50_ms for r in rounds),
            p99_ms=max(r.p99_ms for r in rounds),
            non_2xx=sum(r.non_2xx for r in rounds),
            timeouts=sum(r.timeouts for r in rounds),
            socket_errors=sum(r.socket_errors for r in rounds),
            cpu_seconds=sum(r.cpu_seconds for r in rounds),
        )


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package first where it is missing."""
    found = shutil.which("wrk")
    if found is None:
        print("wrk is missing: installing Debian's package", flush=True)
        apt = ["apt-get", "install", "-y", "-qq", "wrk"]
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if subprocess.run(apt, env=env, check=False).returncode != 0:  # noqa: S603
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)  # noqa: S607
            subprocess.run(apt, env=env, check=True)  # noqa: S603
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is required: apt-get install wrk")
    return found


def wrk(url: str, *, headers: dict[str, str], seconds: int, connections: int) -> Result:
    """Run wrk closed-loop against `url` and return its counts."""
    argv = [
        ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s",
        "-s", str(REPORT_SCRIPT), url,
    ]  # fmt: skip
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        # wrk counts answers of 400 and up; check_ok refused anything else not 2xx.
        non_2xx=data["status"],
        timeouts=data["timeout"],
        socket_errors=data["connect"] + data["read"] + data["write"],
    )


def check_ok(base: str, target: Target) -> None:
    """Refuse to measure a URL that does not answer 200 (a redirect would look fast)."""
    response = httpx.get(base + target.path, headers=target.headers, timeout=10)
    if response.status_code != 200:
        raise SystemExit(f"{target.path} answered {response.status_code}, not 200")
    if "Authorization" in target.headers and not response.json()["mine"]:
        raise SystemExit(f"{target.path} showed the signed-in player none of their rows")


def cpu_seconds(pid: int) -> float:
    """Return the user and system CPU seconds a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def run_once(server: Server, target: Target, *, seconds: int, connections: int) -> Result:
    """Load one URL for `seconds` and return wrk's counts with the server's CPU time."""
    before = cpu_seconds(server.pid)
    result = wrk(
        server.base + target.path,
        headers=target.headers,
        seconds=seconds,
        connections=connections,
    )
    return replace(result, cpu_seconds=cpu_seconds(server.pid) - before)


def compare(
    bare: Server, paddock: Server, target: Target, *, seconds: int, warmup: int, connections: int
) -> tuple[Result, Result]:
    """Measure a URL and the bare app in alternating rounds; return (bare, URL) pooled.

    Other work on the machine comes and goes within seconds: alternating short rounds
    gives both sides of a ratio the same share of it.
    """
    check_ok(paddock.base, target)
    run_once(paddock, target, seconds=warmup, connections=connections)
    health = Target("bare", "/health", {})
    pairs = [
        (
            run_once(bare, health, seconds=seconds // ROUNDS, connections=connections),
            run_once(paddock, target, seconds=seconds // ROUNDS, connections=connections),
        )
        for _ in range(ROUNDS)
    ]
    return Result.pooled([b for b, _ in pairs]), Result.pooled([p for _, p in pairs])


async def session_cookie(user_id: int) -> str:
    """Start a browser session for a player and return the signed cookie carrying it."""
    async with bench_services(fresh=False):
        raw = await create_session(user=await User.get(id=user_id), days=1)
    signer = Quart(__name__)
    signer.secret_key = SECRET
    serializer = signer.session_interface.get_signing_serializer(signer)  # type: ignore[attr-defined]
    return f"{SESSION_COOKIE}={serializer.dumps({'sid': raw})}"


@dataclass(frozen=True, slots=True)
class Pages:
    """The statistics pages' subjects: the player's first team, a driver, a race, a name."""

    team_id: int
    driver_id: int
    constructor_id: int
    race_id: int
    username: str


async def find_pages(subjects: Subjects) -> Pages:
    """Find what the statistics pages show in the benchmark data."""
    async with bench_services(fresh=False):
        team = await Team.filter(owner_id=subjects.user_id).order_by("id").first()
        driver = await Driver.all().order_by("id").first()
        constructor = await Constructor.all().order_by("id").first()
        race = await Race.filter(results_version__gt=0).order_by("round").first()
        user = await User.get(id=subjects.user_id)
        if team is None or driver is None or constructor is None or race is None:
            raise SystemExit("no benchmark data: run `python -m bench.rescore` first")
    return Pages(team.id, driver.id, constructor.id, race.id, user.username)


def targets(subjects: Subjects, pages: Pages, cookie: str) -> list[Target]:
    """Return Paddock's URLs under test, anonymous and signed in."""
    league = f"/api/v1/leagues/{subjects.league_id}/leaderboard?limit=50"
    bearer = {"Authorization": f"Bearer {subjects.token}"}
    signed_in = {"Cookie": cookie}
    return [
        Target("Paddock GET /health", "/health", {}),
        Target("GET /api/v1/leaderboard?limit=50", "/api/v1/leaderboard?limit=50", {}),
        Target("GET /leaderboard (HTML)", "/leaderboard", {}),
        Target(f"GET league board ({subjects.league_size:,} teams)", league, {}),
        Target("  … signed in, with mine (bearer)", "/api/v1/leaderboard?limit=50", bearer),
        Target("GET /leaderboard signed in (cookie)", "/leaderboard", signed_in),
        # The statistics pages (issue 16): charts cached per board generation.
        Target("GET /teams/{id} (2 charts)", f"/teams/{pages.team_id}", {}),
        Target("GET /drivers/{id} (charts, ownership)", f"/drivers/{pages.driver_id}", {}),
        Target("GET /constructors/{id}", f"/constructors/{pages.constructor_id}", {}),
        Target(
            f"GET /leagues/{{id}} ({subjects.league_size:,} teams, chart)",
            f"/leagues/{subjects.league_id}",
            {},
        ),
        Target("GET /races/{id}/versions", f"/races/{pages.race_id}/versions", {}),
        Target("  … signed in (cookie)", f"/races/{pages.race_id}/versions", signed_in),
        Target("GET /players/{username}", f"/players/{pages.username}", {}),
    ]


def row(name: str, result: Result, bare: Result) -> list[object]:
    """Return one table row: the URL's figures beside the bare app's in the same rounds."""
    return [
        name,
        f"{result.rate:,.0f}",
        f"{bare.rate:,.0f}",
        f"{result.rate / bare.rate:.2f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        f"{bare.p99_ms:.1f}",
        result.non_2xx,
        f"{result.timeouts} / {result.socket_errors}",
        f"{result.cpu_ms:.2f} / {bare.cpu_ms:.2f}",
    ]


def main(*, seconds: int, warmup: int, connections: int, only: str = "") -> None:
    """Measure each of Paddock's reads against the bare app, alternating; print the ratios."""
    ensure_wrk()
    subjects = asyncio.run(find_subjects())
    pages = asyncio.run(find_pages(subjects))
    cookie = asyncio.run(session_cookie(subjects.user_id))
    load = {"seconds": seconds, "warmup": warmup, "connections": connections}
    bare_port, paddock_port = free_port(), free_port()
    bare_argv = [*HYPERCORN, "--bind", f"127.0.0.1:{bare_port}", "bench.bare:app"]
    paddock_argv = [*HYPERCORN, "--bind", f"127.0.0.1:{paddock_port}", "webapp.app:create_app()"]
    # Production as deployed: request logs on (to a file here), CORS and HTTPS left off.
    env = server_env() | {"ENVIRONMENT": "production", "LOG_LEVEL": "INFO"}
    rows = []
    with (
        running_server(bare_argv, port=bare_port, env={}) as bare,
        running_server(paddock_argv, port=paddock_port, env=env) as paddock,
    ):
        run_once(bare, Target("bare", "/health", {}), seconds=warmup, connections=connections)
        for target in targets(subjects, pages, cookie):
            if only and only not in target.path:
                continue
            print(f"measuring {target.name.strip()}", flush=True)
            bare_result, result = compare(bare, paddock, target, **load)
            rows.append(row(target.name, result, bare_result))
    print(
        f"\n{subjects.teams:,} teams; one web process each; wrk -t1 -c{connections}, "
        f"{seconds} s per URL in {ROUNDS} rounds alternating with the bare Quart app's "
        f"/health, after a {warmup} s warm-up\n"
    )
    print_table(
        [
            "URL", "req/s", "bare req/s", "ratio", "p50 ms", "p99 ms", "bare p99 ms", "non-2xx",
            "timeouts / socket errors", "CPU ms/req (bare)",
        ],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=12, help="measured run per URL")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured run before each")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--only", default="", help="measure only the URLs whose path has this")
    args = parser.parse_args()
    main(seconds=args.seconds, warmup=args.warmup, connections=args.connections, only=args.only)

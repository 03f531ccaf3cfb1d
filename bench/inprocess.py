"""Benchmark: CPU per request of the saturation benchmark's URLs, in this process, no sockets.

Each URL is asked N times straight through the ASGI app (as Hypercorn calls it, minus the
HTTP parsing both apps share), one request at a time, and timed in CPU seconds: what a
request costs the web process, which is what bounds it at saturation, without the noise
other work on a shared machine puts into wall-clock figures. `--profile` prints where the
time goes for one URL.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import bench_urls
from bench.reads import SECRET, find_subjects
from bench.saturation import Target, find_pages, session_cookie, targets
from webapp.ready import ask_app

ROUNDS = 5
Asgi = Callable[..., Awaitable[None]]


def scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """Return the ASGI scope Hypercorn builds for a plain GET of `path`."""
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }


async def ask(app: Asgi, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send one GET through the app and return its status and body."""
    sent = await ask_app(app, scope(path, headers))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


async def cpu_per_request(app: Asgi, path: str, headers: dict[str, str], n: int) -> float:
    """Return the CPU milliseconds one request of `path` costs, over `n` requests."""
    for _ in range(20):
        status, _ = await ask(app, path, headers)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    started = time.process_time()
    for _ in range(n):
        await ask(app, path, headers)
    return (time.process_time() - started) * 1000 / n


async def main(
    *,
    n: int,
    profile: str | None,
    sort: str,
    dump: str | None,
    chosen: list[Target],
    edge: bool = True,
) -> None:
    """Measure each URL of the saturation benchmark, and the bare app, in CPU ms/request."""
    from bench.bare import app as bare

    db_url, redis_url = bench_urls()
    os.environ.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        ENVIRONMENT="production",
        RATE_LIMIT_API="1000000/second",
        LOG_LEVEL="INFO",
    )
    from webapp.app import create_app
    from webapp.settings import get_settings

    get_settings.cache_clear()
    app = create_app()
    # The access log is written as in production, to nowhere: its cost stays in.
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(io.StringIO())
    # Without the edge, every request is what the route costs: a kept page's renewal.
    app.extensions["ready_reads"].enabled = edge
    await app.startup()
    await bare.startup()
    try:
        for target in chosen:
            if profile is not None and target.name.strip() != profile:
                continue
            # Alternating rounds, the median of each side: other work on the machine comes
            # and goes, and both sides of the ratio get the same share of it.
            bare_runs, runs = [], []
            for _ in range(ROUNDS):
                bare_runs.append(await cpu_per_request(bare, "/health", {}, n // ROUNDS))
                if profile is not None:
                    profiler = cProfile.Profile()
                    profiler.enable()
                runs.append(await cpu_per_request(app, target.path, target.headers, n // ROUNDS))
                if profile is not None:
                    profiler.disable()
            bare_ms, ms = statistics.median(bare_runs), statistics.median(runs)
            print(f"{target.name:40} {ms:6.3f} ms  bare {bare_ms:6.3f} ms  {bare_ms / ms:.2f}")
            if profile is not None:
                stats = pstats.Stats(profiler)
                if dump:
                    stats.dump_stats(dump)
                stats.sort_stats(sort).print_stats(40)
    finally:
        await app.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000, help="requests per URL")
    parser.add_argument("--profile", help="name of one URL to profile (as the table names it)")
    parser.add_argument("--sort", default="tottime", help="the profile's order (pstats keys)")
    parser.add_argument("--dump", help="also write the profile to this file (for pstats)")
    parser.add_argument(
        "--no-edge",
        action="store_true",
        help="send every request to its Quart route (no ready bytes at the edge)",
    )
    args = parser.parse_args()
    # Each in a loop of its own, as the ORM's context is bound to the loop that opened it.
    subjects = asyncio.run(find_subjects())
    cookie = asyncio.run(session_cookie(subjects.user_id))
    pages = asyncio.run(find_pages(subjects))
    pages = asyncio.run(find_pages(subjects))
    asyncio.run(
        main(
            n=args.n,
            profile=args.profile,
            sort=args.sort,
            dump=args.dump,
            chosen=targets(subjects, pages, cookie),
            edge=not args.no_edge,
        )
    )

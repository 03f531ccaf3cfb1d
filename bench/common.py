"""Shared set-up of the benchmarks: their own database and Redis, timing and tables."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from webapp import db
from webapp.redis import close_redis, get_redis, init_redis
from webapp.settings import Settings, load_settings

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/paddock_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def bench_urls() -> tuple[str, str]:
    """Return the benchmark database and Redis URLs (BENCH_DATABASE_URL, BENCH_REDIS_URL)."""
    return (
        os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
        os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
    )


def _dsn(url: str, *, database: str | None = None) -> str:
    parts = urlsplit(url)
    path = f"/{database}" if database else parts.path
    return urlunsplit(("postgresql", parts.netloc, path, "", ""))


async def reset_database(url: str) -> None:
    """Create the benchmark database if needed and empty it."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(_dsn(url, database="postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@asynccontextmanager
async def bench_services(*, fresh: bool) -> AsyncIterator[Settings]:
    """Open the ORM and Redis on the benchmark services, migrating a fresh database."""
    db_url, redis_url = bench_urls()
    settings = load_settings(database_url=db_url, redis_url=redis_url, season=None, db_pool_max=10)
    if fresh:
        await reset_database(db_url)
        await db.migrate_db(settings)
    await db.init_db(settings)
    await init_redis(redis_url)
    if fresh:
        await get_redis().flushdb()
    try:
        yield settings
    finally:
        await close_redis()
        await db.close_db()


async def timed[T](action: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """Run `action` and return its result with the seconds it took."""
    started = time.perf_counter()
    result = await action()
    return result, time.perf_counter() - started


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Print rows under headers as an aligned Markdown table."""
    text = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in text:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Server:
    """A running web server: where it answers and its process id."""

    base: str
    pid: int


@contextmanager
def running_server(argv: list[str], *, port: int, env: dict[str, str]) -> Iterator[Server]:
    """Run a web server command until the block ends; yield it once /health answers."""
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=os.environ | env, stdout=log, stderr=log)  # noqa: S603
        try:
            # Generous: on a busy shared machine importing the app alone has taken 20 s.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                log.seek(0)
                tail = log.read()[-2000:].decode(errors="replace")
                raise SystemExit(f"the benchmark server did not start: {' '.join(argv)}\n{tail}")
            yield Server(base, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

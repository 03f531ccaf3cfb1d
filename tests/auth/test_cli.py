"""`paddock admin create`, run as a real process against the test database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

from webapp.models import User
from webapp.settings import Settings

MakeUser = Callable[..., Awaitable[User]]


async def run_admin(settings: Settings, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url or "", "ENVIRONMENT": "test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "webapp.auth.cli",
        "create",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_create_admin(migrated: Settings, db: None) -> None:
    code, out = await run_admin(
        migrated,
        "--email",
        "Root@Example.com",
        "--username",
        "root",
        "--password",
        "admin password 1",
    )
    assert code == 0, out
    assert "Created admin root" in out
    user = await User.get(username="root")
    assert user.is_admin and user.email == "root@example.com"
    assert user.password_hash.startswith("$argon2id$")


async def test_existing_user_needs_promote(
    migrated: Settings, db: None, make_user: MakeUser
) -> None:
    await make_user("alice")
    code, out = await run_admin(
        migrated, "--email", "alice@example.com", "--username", "alice", "--password", "x" * 12
    )
    assert code != 0
    assert "--promote" in out
    assert not (await User.get(username="alice")).is_admin
    code, out = await run_admin(
        migrated, "--email", "alice@example.com", "--username", "alice", "--promote"
    )
    assert code == 0, out
    assert "Promoted alice" in out
    assert (await User.get(username="alice")).is_admin


async def test_bad_input_is_a_clear_error(migrated: Settings, db: None) -> None:
    code, out = await run_admin(
        migrated, "--email", "nope", "--username", "root", "--password", "short"
    )
    assert code != 0
    assert "email" in out and "password" in out
    assert "Traceback" not in out
    assert await User.all().count() == 0

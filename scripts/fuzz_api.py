"""Fuzz the JSON API with schemathesis against a real web process on a seeded database.

    DATABASE_URL=postgres://…/paddock_fuzz REDIS_URL=redis://…/14 python scripts/fuzz_api.py

The database and Redis named are WIPED: the script migrates the database from empty,
loads the bundled season, makes an admin with a bearer token, starts `paddock-web` on a
free port and runs schemathesis on `/openapi.json` with two checks: no 5xx anywhere, and
every response whose status the document declares matches its schema. Extra arguments go
to `schemathesis run` (e.g. `--max-examples 50`). Exits with schemathesis's status.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,response_schema_conformance"
DEFAULT_ARGS = ["--max-examples", "25", "--seed", "20261130", "--request-timeout", "10"]
# Fuzzing sends thousands of requests from one address: limits would only answer 429.
UNLIMITED = {
    "RATE_LIMIT_API": "1000000/minute",
    "RATE_LIMIT_LOGIN": "1000000/minute",
    "RATE_LIMIT_REGISTER": "1000000/minute",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(database_url: str, redis_url: str) -> tuple[str, dict[str, int]]:
    """Empty and migrate the database, load the season; return an admin's token and ids."""
    from redis.asyncio import Redis

    from webapp import db
    from webapp.auth.tokens import create_access_token
    from webapp.auth.users import register
    from webapp.catalogue.loader import load_season
    from webapp.leagues.service import create_league
    from webapp.models import Driver, Race
    from webapp.redis import close_redis, init_redis
    from webapp.settings import load_settings
    from webapp.teams.service import create_team

    dsn = database_url.replace("postgres://", "postgresql://", 1).split("?")[0]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    settings = load_settings()
    await db.migrate_db(settings)
    await db.init_db(settings)
    await init_redis(redis_url)  # seeding runs the domain code, which keeps boards in Redis
    try:
        await load_season()
        password = secrets.token_urlsafe(16)
        admin = await register(
            email="fuzz@example.com", username="fuzz", password=password, is_admin=True
        )
        token, _ = create_access_token(
            user=admin,
            secret=settings.signing_key(),
            access_minutes=settings.access_token_expire_minutes,
        )
        cheap = ("bortoleto", "albon", "hadjar", "lawson", "doohan")
        drivers = [d.id for d in await Driver.filter(ref__in=cheap)]
        team = await create_team(
            owner=admin, name="Fuzz GP", driver_ids=drivers, captain_id=drivers[0]
        )
        league = await create_league(
            owner=admin, name="Fuzz league", is_public=True, team_id=team.id
        )
        race = await Race.filter(round=1).first()
        assert race is not None
    finally:
        await close_redis()
        await db.close_db()
    # Existing ids for path parameters, so that requests reach the handlers' logic.
    ids = {"team_id": team.id, "league_id": league.id, "race_id": race.id, "driver_id": drivers[0]}
    return token, ids


def wait_ready(process: subprocess.Popen[bytes], base: str) -> None:
    """Wait for /ready, failing if the server exits first or takes over 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paddock-web exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("paddock-web did not become ready within 30 s")


def main() -> None:
    """Seed, serve, fuzz, stop."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (database_url and redis_url):
        raise SystemExit("set DATABASE_URL and REDIS_URL (both are wiped)")
    os.environ.update(
        ENVIRONMENT="test", SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48)
    )
    os.environ.update(UNLIMITED)
    token, ids = asyncio.run(seed(database_url, redis_url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "paddock-web"), "--bind", f"127.0.0.1:{port}"],
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    try:
        wait_ready(server, base)
        args = sys.argv[1:] or DEFAULT_ARGS
        config = Path(tempfile.mkdtemp()) / "schemathesis.toml"
        config.write_text("[parameters]\n" + "".join(f'"path.{k}" = {v}\n' for k, v in ids.items()))
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{base}/openapi.json",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Bearer {token}",
            "--generation-database",
            "none",
            # Pages and static files are in the document too; the contract is the JSON API.
            "--include-path-regex",
            "^/api/",
            *args,
        ]
        code = subprocess.call(command, env=os.environ | {"SCHEMATHESIS_HOOKS": ""})  # noqa: S603
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    sys.exit(code)


if __name__ == "__main__":
    main()

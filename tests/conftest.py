"""Test fixtures on real PostgreSQL and Redis: the machine's when named, else embedded ones."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from redis.asyncio import Redis
from tortoise import connections

from webapp import db as database
from webapp.auth.passwords import configure_hashing
from webapp.cache import clear_local
from webapp.models import User
from webapp.redis import close_redis, get_redis, init_redis
from webapp.settings import ROOT, Settings, get_settings, load_settings

os.environ["ENVIRONMENT"] = "test"


@pytest.fixture(scope="session")
def service_urls() -> Iterator[tuple[str, str]]:
    """Return (database URL, Redis URL) for the test run, starting embedded ones if needed."""
    db_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    services = None
    if not (db_url and redis_url):
        from webapp.embedded import EmbeddedServices

        services = EmbeddedServices(ROOT / ".paddock" / "test-services")
        _, embedded_redis = services.start()
        db_url = db_url or services.create_database("paddock_test")
        redis_url = redis_url or embedded_redis
    try:
        yield db_url, redis_url
    finally:
        if services is not None:
            services.stop()


@pytest.fixture(scope="session")
def settings(service_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Return settings pointed at the test services; domain code sees the same."""
    db_url, redis_url = service_urls
    os.environ.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        SECRET_KEY="test-secret-key-with-enough-length-for-hs256",
        DATA_DIR=str(tmp_path_factory.mktemp("data")),
        RESULTS_API_URL="http://127.0.0.1:9/unreachable",
    )
    get_settings.cache_clear()
    configure_hashing(cheap=True)
    return load_settings()


async def _reset_schema(url: str) -> None:
    """Drop everything in the test database so migrations start from empty."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> AsyncIterator[Settings]:
    """Migrate an empty test database once, then keep Tortoise and Redis open for the run."""
    assert settings.database_url and settings.redis_url
    await _reset_schema(settings.database_url)
    await database.migrate_db(settings)
    await database.init_db(settings)
    await init_redis(settings.redis_url)
    yield settings
    await close_redis()
    await database.close_db()


@pytest.fixture
async def db(migrated: Settings) -> AsyncIterator[None]:
    """Give each test empty tables."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'tortoise_migrations'"
    )
    tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
    await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield


@pytest.fixture
async def redis(migrated: Settings) -> AsyncIterator[Redis]:
    """Give each test an empty Redis database, and an empty local tier of the cache."""
    client = get_redis()
    await client.flushdb()
    clear_local()
    yield client


@pytest.fixture
async def app(db: None, redis: Redis, migrated: Settings) -> AsyncIterator[Quart]:
    """Build the app on the test services and run its start-up and shut-down."""
    from webapp.app import create_app

    application = create_app(migrated)
    async with application.test_app():
        yield application


@pytest.fixture
def client(app: Quart) -> TestClientProtocol:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
async def season(db: None) -> int:
    """Load the bundled season and return its year."""
    from webapp.catalogue.loader import load_season

    await load_season()
    rows = await connections.get("default").execute_query_dict("SELECT max(year) AS y FROM seasons")
    return int(rows[0]["y"])


@pytest.fixture
async def constructor_prices(season: int) -> dict[str, int]:
    """Price every constructor of the bundled season (10.0, 11.0, … by ref); map ref to id."""
    from webapp.models import Constructor

    refs: dict[str, int] = {}
    for n, constructor in enumerate(await Constructor.filter(season_id=season).order_by("ref")):
        constructor.price = 10 + n  # type: ignore[assignment]
        await constructor.save(update_fields=["price"])
        refs[constructor.ref] = constructor.id
    return refs


def asyncpg_dsn(url: str) -> str:
    """Turn a Tortoise `postgres://` URL into one asyncpg accepts."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(("min", "max")))
    return urlunsplit(("postgresql", parts.netloc, parts.path, query, ""))


def with_database(url: str, name: str) -> str:
    """Return `url` with database `name` in place of the one it names."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@asynccontextmanager
async def scratch_database(url: str, suffix: str) -> AsyncIterator[str]:
    """Create an empty database beside the one `url` names; yield its URL, then drop it."""
    name = f"{urlsplit(url).path.lstrip('/')}_{suffix}"
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def fixture_path(name: str) -> Path:
    """Return the path of a file in tests/fixtures."""
    return Path(__file__).parent / "fixtures" / name


DEFAULT_PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(db: None) -> Callable[..., Awaitable[User]]:
    """Return `await make_user(username=..., email=..., password=..., is_admin=...)`."""
    from webapp.auth.users import register

    async def factory(
        username: str = "alice",
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        is_admin: bool = False,
    ) -> User:
        email = email or f"{username.lower()}@example.com"
        return await register(email=email, username=username, password=password, is_admin=is_admin)

    return factory


@pytest.fixture
def auth_headers(migrated: Settings) -> Callable[[User], dict[str, str]]:
    """Return `auth_headers(user)`: a valid Bearer `Authorization` header for the user."""
    from webapp.auth.tokens import create_access_token

    def headers(user: User) -> dict[str, str]:
        token, _ = create_access_token(
            user=user,
            secret=migrated.signing_key(),
            access_minutes=migrated.access_token_expire_minutes,
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


async def read_csrf_token(client: TestClientProtocol) -> str:
    """Return the CSRF token of the client's browser session, read from a page."""
    html = (await (await client.get("/register")).get_data()).decode()
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on /register"
    return match.group(1)


@pytest.fixture
def csrf_token_for() -> Callable[[TestClientProtocol], Awaitable[str]]:
    """Return `await csrf_token_for(client)`: the token for the client's forms and HTMX."""
    return read_csrf_token


@pytest.fixture
def login() -> Callable[..., Awaitable[None]]:
    """Return `await login(client, user, password=...)`: log in through the real /login form."""

    async def do(client: TestClientProtocol, user: User, password: str = DEFAULT_PASSWORD) -> None:
        token = await read_csrf_token(client)
        response = await client.post(
            "/login", form={"username": user.username, "password": password, "csrf_token": token}
        )
        assert response.status_code == 303, await response.get_data()

    return do

"""Tortoise ORM configuration and lifecycle."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from webapp.settings import Settings

MODEL_MODULES = ["webapp.models"]


def with_pool(url: str, *, minsize: int, maxsize: int) -> str:
    """Return the URL with asyncpg pool sizes, keeping any the URL already names."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("minsize", str(minsize))
    query.setdefault("maxsize", str(maxsize))
    scheme = "postgres" if parts.scheme in {"postgresql", "postgres", "asyncpg"} else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def tortoise_config(settings: Settings, *, url: str | None = None) -> dict[str, Any]:
    """Build the Tortoise config dict for the settings' database."""
    db_url = url or settings.database_url
    if not db_url:
        raise RuntimeError("DATABASE_URL is not set: run `paddock dev` or set it")
    return {
        "connections": {
            "default": with_pool(db_url, minsize=settings.db_pool_min, maxsize=settings.db_pool_max)
        },
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings, *, url: str | None = None) -> bool:
    """Register the models and the pool; return False when this process already had them."""
    if Tortoise.is_inited():
        return False
    # The global fallback lets request tasks, started outside the lifespan task, see the ORM.
    await Tortoise.init(config=tortoise_config(settings, url=url), _enable_global_fallback=True)
    return True


async def close_db() -> None:
    """Close every connection pool."""
    await Tortoise.close_connections()


async def migrate_db(settings: Settings, *, url: str | None = None) -> None:
    """Apply every pending migration from `migrations/`."""
    # A context of its own, so migrating leaves this process's ORM state untouched.
    async with TortoiseContext():
        await migrate(config=tortoise_config(settings, url=url))

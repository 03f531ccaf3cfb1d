"""The named rate limits of accounts, read from the running app's settings."""

from __future__ import annotations

from quart import current_app

from webapp.auth.ratelimit import enforce
from webapp.auth.users import find_by_login
from webapp.redis import get_redis
from webapp.settings import Settings


def settings() -> Settings:
    """Return the settings the app was built with."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings


async def limit_login(*, ip: str, login: str) -> None:
    """Count a log-in attempt per client address and per account (however it is named)."""
    keys = [f"login:ip:{ip}"]
    name = login.strip().lower()
    if name:
        user = await find_by_login(name)
        keys.append(f"login:account:{user.id if user else name}")
    await enforce(redis=get_redis(), keys=keys, rate=settings().rate_limit_login)


async def limit_register(*, ip: str) -> None:
    """Count a registration per client address."""
    await enforce(
        redis=get_redis(), keys=[f"register:ip:{ip}"], rate=settings().rate_limit_register
    )


async def limit_api(*, key: str) -> None:
    """Count a request against the general API limit."""
    await enforce(redis=get_redis(), keys=[f"api:{key}"], rate=settings().rate_limit_api)

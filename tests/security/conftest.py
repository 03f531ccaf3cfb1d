"""Apps built with other settings than the default test ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from quart import Quart
from redis.asyncio import Redis

from webapp.settings import Settings


@pytest.fixture
def app_with(
    db: None, redis: Redis, migrated: Settings
) -> Callable[..., AbstractAsyncContextManager[Quart]]:
    """Return `async with app_with(force_https=True) as app:` — an app on changed settings."""
    from webapp.app import create_app

    @asynccontextmanager
    async def build(**changes: object) -> AsyncIterator[Quart]:
        application = create_app(migrated.model_copy(update=changes))
        async with application.test_app():
            yield application

    return build

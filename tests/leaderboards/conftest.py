"""Fixtures of the leaderboard tests: a small season built with the ORM."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from tests.scoring.factories import World


@pytest.fixture
async def world(db: None, redis: Redis) -> World:
    """Return an empty 2024 fixture season with its drivers."""
    return await World.create()

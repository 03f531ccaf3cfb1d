"""Fixtures of the leaderboard tests: a small season built with the ORM."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from webapp.pipeline import rescore_race

EARLY = BELGIUM_LOCK - timedelta(days=1)


@pytest.fixture
async def world(db: None, redis: Redis) -> World:
    """Return an empty 2024 fixture season with its drivers."""
    return await World.create()


@pytest.fixture
async def scored(world: World) -> dict[str, Any]:
    """Belgium scored for Alpha (Olivia's) and Bravo (Ben's); Singapore has results to score."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    olivia, ben = await world.user("olivia"), await world.user("ben")
    alpha = await world.team("Alpha", owner=olivia)
    bravo = await world.team("Bravo", owner=ben)
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=belgium.id)
    league = await world.league("Open", owner=olivia, teams=[alpha], public=True)
    return {
        "world": world,
        "singapore": singapore,
        "olivia": olivia,
        "ben": ben,
        "alpha": alpha,
        "bravo": bravo,
        "league": league,
    }

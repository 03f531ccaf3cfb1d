"""Fixtures of the market tests: the bundled 2024 season loaded."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from webapp.catalogue.loader import load_season
from webapp.models import Race
from webapp.settings import ROOT


@pytest.fixture
async def season_2024(db: None, redis: Redis) -> dict[int, Race]:
    await load_season(path=ROOT / "webapp" / "catalogue" / "season_2024.json")
    return {race.round: race for race in await Race.filter(season_id=2024)}

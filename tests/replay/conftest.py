"""The replay feed served by the app over real HTTP, in this process so tests drive its clock;
and a replay of 2024 whose real time the test moves by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from quart import Quart
from redis.asyncio import Redis

from webapp import gameclock
from webapp.catalogue.loader import load_season
from webapp.replay import timeline
from webapp.replay.routes import PREFIX
from webapp.results.feed import FeedClient
from webapp.settings import Settings

from ..live.servers import serving

BEGAN = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> Iterator[gameclock.ManualClock]:
    """Make a clock the test moves by hand the process's clock, then put the old one back."""
    clock = gameclock.ManualClock(datetime.fromisoformat("2024-01-01T00:00:00+00:00"))
    previous = gameclock.use(clock)
    try:
        yield clock
    finally:
        gameclock.use(previous)


@pytest.fixture
async def replay_url(app: Quart, migrated: Settings) -> AsyncIterator[str]:
    """Serve a second instance of the app with Hypercorn on 127.0.0.1; yield its replay feed URL."""
    from webapp.app import create_app

    served = create_app(migrated)
    async with serving(served) as base:
        yield f"{base}{PREFIX}"


@pytest.fixture
def replay_settings(migrated: Settings, replay_url: str) -> Settings:
    """Return settings pointed at the replay feed, with a generous budget."""
    return migrated.model_copy(
        update={
            "results_api_url": replay_url,
            "feed_rate_per_second": 1000,
            "feed_rate_per_hour": 100_000,
            "feed_timeout_seconds": 5.0,
            "feed_max_attempts": 1,
        }
    )


@pytest.fixture
async def replay_client(replay_settings: Settings, redis: Redis) -> AsyncIterator[FeedClient]:
    """Return the app's own feed client pointed at the replay feed."""
    async with FeedClient.from_settings(replay_settings, redis=redis) as client:
        yield client


@dataclass
class Replaying:
    """The installed replay clock and the real time it reads."""

    clock: gameclock.ReplayClock
    real: gameclock.ManualClock

    def at_minute(self, minutes: float) -> datetime:
        """Set real time to `minutes` after the replay began and return the season time."""
        self.real.at = BEGAN + timedelta(minutes=minutes)
        return self.clock.now()


@pytest.fixture
def replaying() -> Iterator[Replaying]:
    """Run the process on a 10-minutes-a-race replay of 2024 begun at BEGAN."""
    real = gameclock.ManualClock(BEGAN)
    clock = gameclock.ReplayClock(
        race_starts=[r.starts_at for r in timeline.rounds(2024)],
        began=BEGAN,
        minutes_per_race=10,
        source=real.now,
    )
    previous = gameclock.use(clock)
    yield Replaying(clock, real)
    gameclock.use(previous)


@pytest.fixture
async def season_2024(db: None) -> int:
    """Load the bundled 2024 season and return its year."""
    await load_season(path=timeline.CATALOGUE / "season_2024.json")
    return 2024

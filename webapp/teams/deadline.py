"""The clock of a request and the next lineup deadline every page shows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from quart import current_app

from webapp import cache
from webapp.catalogue.queries import current_season, next_race
from webapp.catalogue.routes import Countdown, countdown
from webapp.models import Race

log = logging.getLogger(__name__)
DEADLINE_EXTENSION = "paddock_next_deadline"
REMEMBER_SECONDS = 5.0


def app_now() -> datetime:
    """Return now, from the app's `CLOCK` when a test has set one."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


@dataclass
class Deadline:
    """The next race whose lineups lock, and the time left until then."""

    race: Race
    left: Countdown


@dataclass
class _Remembered:
    race: Race | None
    asked_at: datetime  # the request clock when it was looked up
    until: float  # event-loop time it may be reused until
    generation: int  # of the races, bumped when one is rescheduled, cancelled or added


async def next_deadline() -> Deadline | None:
    """Return the next lineup deadline of the current season, if any."""
    now = app_now()
    # Every page shows it: one Redis read per page instead of two queries, and a lookup
    # per process every few seconds or whenever a race is rescheduled, cancelled or added.
    remembered: _Remembered | None = current_app.extensions.get(DEADLINE_EXTENSION)
    clock = asyncio.get_running_loop().time()
    generation = await cache.generation(cache.RACES)
    if (
        remembered is not None
        and clock < remembered.until
        and remembered.generation == generation
        and remembered.asked_at <= now
        and (remembered.race is None or remembered.race.lock_at > now)
    ):
        race = remembered.race
    else:
        try:
            race = await next_race(season=await current_season(), now=now)
        except Exception:
            # Pages (error pages included) must render even when this cannot be read.
            log.warning("next deadline unavailable", exc_info=True)
            return None
        current_app.extensions[DEADLINE_EXTENSION] = _Remembered(
            race, now, clock + REMEMBER_SECONDS, generation
        )
    return Deadline(race=race, left=countdown(race.lock_at, now)) if race else None

"""The clock of a request and the next lineup deadline every page shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from quart import current_app

from webapp.catalogue.queries import current_season, next_race
from webapp.catalogue.routes import Countdown, countdown
from webapp.models import Race

log = logging.getLogger(__name__)


def app_now() -> datetime:
    """Return now, from the app's `CLOCK` when a test has set one."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


@dataclass
class Deadline:
    """The next race whose lineups lock, and the time left until then."""

    race: Race
    left: Countdown


async def next_deadline() -> Deadline | None:
    """Return the next lineup deadline of the current season, if any."""
    try:
        now = app_now()
        race = await next_race(season=await current_season(), now=now)
    except Exception:
        # Pages (error pages included) must render even when this cannot be read.
        log.warning("next deadline unavailable", exc_info=True)
        return None
    return Deadline(race=race, left=countdown(race.lock_at, now)) if race else None

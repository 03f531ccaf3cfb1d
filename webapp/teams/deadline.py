"""The next lineup deadline every page shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from webapp import cache
from webapp.catalogue.queries import Countdown, countdown, next_race, remembered_current_season
from webapp.models import Race

log = logging.getLogger(__name__)
# Another process's reschedule shows within these seconds.
NEXT_RACE = cache.Local("next-deadline", seconds=5.0, depends_on=[cache.RACES])


@dataclass
class Deadline:
    """The next race whose lineups lock, and the time left until then."""

    race: Race
    left: Countdown


async def next_deadline(*, now: datetime, configured_season: int | None = None) -> Deadline | None:
    """Return the next lineup deadline of the current season at `now`, if any."""
    # Every page shows it: looked up once per process every few seconds, at once after a
    # reschedule in this process, and never used past its lock or before it was asked.
    remembered: tuple[Race | None, datetime] | None = NEXT_RACE.get(None)
    if remembered is not None and remembered[1] <= now:
        race = remembered[0]
        if race is None or race.lock_at > now:
            return Deadline(race=race, left=countdown(race.lock_at, now)) if race else None
    try:
        race = await next_race(
            season=await remembered_current_season(configured=configured_season), now=now
        )
    except Exception:
        # Pages (error pages included) must render even when this cannot be read.
        log.warning("next deadline unavailable", exc_info=True)
        return None
    NEXT_RACE.put(None, (race, now))
    return Deadline(race=race, left=countdown(race.lock_at, now)) if race else None

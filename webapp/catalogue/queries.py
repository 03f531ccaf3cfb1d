"""Read the catalogue: seasons, constructors, drivers and races."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp import cache, gameclock
from webapp.errors import AppError
from webapp.models import Constructor, Driver, Race, RaceStatus, Season


async def current_season(*, configured: int | None) -> int:
    """Return the current season: `configured` (replayed, else `SEASON`), else the latest loaded."""
    if configured:
        return configured
    latest = await Season.all().order_by("-year").first()
    if latest is None:
        raise AppError.not_found("No season is loaded")
    return latest.year


# Asked on every board read and live socket; a season loaded elsewhere shows within a minute.
CURRENT_SEASON = cache.Local("current-season", seconds=60, depends_on=[cache.SEASONS])


async def remembered_current_season(*, configured: int | None) -> int:
    """Return the current season, kept a minute in this process."""
    if configured:
        return configured
    season: int | None = CURRENT_SEASON.get(None)
    if season is None:
        season = await current_season(configured=None)
        CURRENT_SEASON.put(None, season)
    return season


async def list_constructors(*, season: int) -> list[Constructor]:
    """Return a season's constructors by name."""
    return await Constructor.filter(season_id=season).order_by("name")


async def list_drivers(*, season: int) -> list[Driver]:
    """Return a season's drivers, dearest first, with their constructor."""
    return (
        await Driver.filter(season_id=season)
        .select_related("constructor")
        .order_by("-price", "last_name")
    )


async def list_races(*, season: int) -> list[Race]:
    """Return a season's calendar in round order."""
    return await Race.filter(season_id=season).select_related("driver_of_the_day").order_by("round")


async def get_race(*, race_id: int) -> Race:
    """Return one race or fail with `not_found`."""
    race = await Race.get_or_none(id=race_id).select_related("driver_of_the_day")
    if race is None:
        raise AppError.not_found("No such race")
    return race


async def next_race(*, season: int, now: datetime) -> Race | None:
    """Return the next race whose lineup deadline has not passed."""
    return (
        await Race.filter(season_id=season, lock_at__gt=now)
        .exclude(status=RaceStatus.CANCELLED)
        .order_by("lock_at")
        .first()
    )


@dataclass
class Countdown:
    """The real time left before a deadline, in whole days, hours and minutes."""

    days: int
    hours: int
    minutes: int
    # The real time of the deadline, which the browser counts down to.
    at: datetime


def countdown(until: datetime, now: datetime) -> Countdown:
    """Split the real time left between game times `now` and `until` into days, hours, minutes."""
    # On a replay a week of the season passes in minutes: players wait the real minutes.
    at = gameclock.real_time(until)
    seconds = max(0, int((at - gameclock.real_time(now)).total_seconds()))
    return Countdown(seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60, at)

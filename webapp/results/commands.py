"""What `paddock season sync` and `paddock results poll` run, in the foreground."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from redis.exceptions import LockError

from webapp.db import close_db, init_db
from webapp.progress import Progress, quiet
from webapp.redis import close_redis, get_redis, init_redis
from webapp.results.feed import FeedClient
from webapp.results.polling import PollOutcome, poll_due_races, poll_race
from webapp.results.sync import sync_season
from webapp.settings import Settings

POLL_DUE_LOCK = "paddock:lock:poll_due_races"
POLL_DUE_LOCK_SECONDS = 600


def abandon_after(settings: Settings) -> timedelta:
    """Return how long a poll may stay open: by then its task would have gone to another worker."""
    return timedelta(milliseconds=settings.task_idle_timeout_ms)


async def _open(settings: Settings) -> tuple[bool, bool]:
    assert settings.redis_url, "REDIS_URL is needed for the shared feed budget"
    return await init_db(settings), await init_redis(settings.redis_url)


async def _close(owned: tuple[bool, bool]) -> None:
    if owned[1]:
        await close_redis()
    if owned[0]:
        await close_db()


async def run_sync(
    settings: Settings, *, season: int, progress: Progress = quiet
) -> dict[str, int]:
    """Sync one season from the feed and return what was created and updated."""
    owned = await _open(settings)
    try:
        async with FeedClient.from_settings(settings) as client:
            return await sync_season(season=season, client=client, progress=progress)
    finally:
        await _close(owned)


async def poll_one(settings: Settings, *, race_id: int) -> PollOutcome:
    """Poll one race now, whatever the timetable says."""
    async with FeedClient.from_settings(settings) as client:
        return await poll_race(
            race_id=race_id,
            client=client,
            offsets_hours=settings.verify_offsets_hours,
            abandon_after=abandon_after(settings),
        )


async def poll_due(settings: Settings) -> list[PollOutcome]:
    """Poll every race the timetable says is due, unless a previous round is still at it."""
    # Scheduled every minute; a slow feed must not pile rounds on top of each other.
    lock = get_redis().lock(POLL_DUE_LOCK, timeout=POLL_DUE_LOCK_SECONDS, blocking=False)
    if not await lock.acquire():
        return []
    try:
        async with FeedClient.from_settings(settings) as client:
            return await poll_due_races(
                client=client,
                offsets_hours=settings.verify_offsets_hours,
                abandon_after=abandon_after(settings),
            )
    finally:
        with suppress(LockError):
            await lock.release()


async def run_poll(settings: Settings, *, race_id: int | None) -> list[PollOutcome]:
    """Open the database and Redis, then poll one race now or every race that is due."""
    owned = await _open(settings)
    try:
        if race_id is not None:
            return [await poll_one(settings, race_id=race_id)]
        return await poll_due(settings)
    finally:
        await _close(owned)


def describe(outcome: PollOutcome) -> str:
    """Return one line about a poll for the terminal."""
    line = f"race {outcome.race_id}: {outcome.outcome} (results version {outcome.version})"
    if outcome.finalised:
        line += ", now final"
    if outcome.error:
        line += f" — {outcome.error}"
    return line

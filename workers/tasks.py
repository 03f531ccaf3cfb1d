"""Background tasks: each a few lines around webapp's domain code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from taskiq import Context, TaskiqDepends

from webapp.catalogue.queries import current_season
from webapp.leaderboards import refresh
from webapp.models import TaskRun
from webapp.notifications.producers import announce, notify_lineups_locked
from webapp.redis import get_redis
from webapp.results.commands import abandon_after, poll_due, poll_one
from webapp.results.maintenance import clean_up, update_driver_stats
from webapp.results.polling import close_abandoned_polls, this_worker
from webapp.settings import get_settings
from webapp.teams import locks
from workers.broker import broker

HEARTBEAT_KEY = "paddock:heartbeat"


@broker.task(task_name="paddock.heartbeat", schedule=[{"cron": "* * * * *"}])
async def heartbeat(context: Annotated[Context, TaskiqDepends()]) -> str:
    """Show that scheduler, stream, worker, PostgreSQL and Redis all work; return the time."""
    now = datetime.now(UTC)
    await TaskRun.update_or_create(
        task_name="heartbeat",
        task_id=context.message.task_id,
        defaults={"started_at": now, "finished_at": now, "ok": True},
    )
    stamp = now.isoformat().replace("+00:00", "Z")
    await get_redis().set(HEARTBEAT_KEY, stamp)
    return stamp


@broker.task(task_name="paddock.lock_due_races", schedule=[{"cron": "* * * * *"}])
async def lock_due_races() -> list[int]:
    """Move races whose lineup deadline has come to `locked`, tell each team; return their ids."""
    races = await locks.lock_due_races()
    await announce(await notify_lineups_locked(races=races))
    return [race.id for race in races]


class PollFailed(Exception):
    """A poll did not get a usable answer; raised so the retry middleware tries again later."""


@broker.task(task_name="paddock.poll_due_races", schedule=[{"cron": "* * * * *"}])
async def poll_due_races() -> list[str]:
    """Poll the races the timetable says are due (a failure waits for its next due time)."""
    return [f"{o.race_id}:{o.outcome}" for o in await poll_due(get_settings())]


@broker.task(task_name="paddock.poll_race", retry_on_error=True, max_retries=4)
async def poll_race(race_id: int) -> str:
    """Poll one race now; a poll that fails is retried later with a growing delay."""
    outcome = await poll_one(get_settings(), race_id=race_id)
    if not outcome.ok:
        raise PollFailed(f"race {race_id}: {outcome.outcome}: {outcome.error}")
    return outcome.outcome


@broker.task(task_name="paddock.close_abandoned_polls", schedule=[{"cron": "*/5 * * * *"}])
async def abandoned_polls() -> int:
    """Close polls a killed worker left open as abandoned; return how many."""
    return await close_abandoned_polls(
        now=datetime.now(UTC),
        abandon_after=abandon_after(get_settings()),
        closed_by=this_worker(),
    )


@broker.task(task_name="paddock.driver_stats", schedule=[{"cron": "*/10 * * * *"}])
async def driver_stats() -> int:
    """Refresh drivers' season points, average and last-3 form; return how many changed."""
    return await update_driver_stats(season=await current_season())


@broker.task(task_name="paddock.rebuild_leaderboards", schedule=[{"cron": "40 4 * * *"}])
async def rebuild_leaderboards() -> int:
    """Rebuild the current season's leaderboards from PostgreSQL; return the teams ranked."""
    return (await refresh.rebuild_leaderboards(season=await current_season())).teams


@broker.task(task_name="paddock.cleanup", schedule=[{"cron": "20 4 * * *"}])
async def cleanup() -> dict[str, int]:
    """Delete expired refresh tokens and notifications read over 90 days ago."""
    report = await clean_up()
    return {"refresh_tokens": report.refresh_tokens, "notifications": report.notifications}

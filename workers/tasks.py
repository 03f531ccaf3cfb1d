"""Background tasks: each a few lines around webapp's domain code, registered by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from taskiq import AsyncBroker, Context, TaskiqDepends

from webapp import gameclock
from webapp.catalogue.queries import current_season
from webapp.leaderboards import refresh
from webapp.models import TaskRun
from webapp.notifications import push
from webapp.notifications.producers import (
    announce,
    notify_deadlines_soon,
    notify_lineups_locked,
)
from webapp.redis import get_redis
from webapp.results.commands import abandon_after, poll_due, poll_one
from webapp.results.maintenance import clean_up, update_driver_stats
from webapp.results.polling import close_abandoned_polls, this_worker
from webapp.results.timetable import UNREACHABLE
from webapp.settings import get_settings
from webapp.taskqueue import POLL_RACE, SEND_PUSHES, QueuedTask
from webapp.teams import locks

HEARTBEAT_KEY = "paddock:heartbeat"
HEARTBEAT = QueuedTask("paddock.heartbeat")


async def heartbeat(context: Annotated[Context, TaskiqDepends()]) -> str:
    """Show that scheduler, stream, worker, PostgreSQL and Redis all work; return the time."""
    now = datetime.now(UTC)  # liveness: real time, also on a replay
    await TaskRun.update_or_create(
        task_name="heartbeat",
        task_id=context.message.task_id,
        defaults={"started_at": now, "finished_at": now, "ok": True},
    )
    stamp = now.isoformat().replace("+00:00", "Z")
    await get_redis().set(HEARTBEAT_KEY, stamp)
    return stamp


async def lock_due_races() -> list[int]:
    """Move races whose lineup deadline has come to `locked`, tell each team; return their ids."""
    races = await locks.lock_due_races()
    await announce(await notify_lineups_locked(races=races))
    return [race.id for race in races]


async def deadline_reminders() -> int:
    """Remind players of lineups locking within the hour; return how many were new."""
    created = await notify_deadlines_soon()
    await announce(created)
    return len(created)


async def send_pushes() -> dict[str, int]:
    """Push notifications not pushed yet to the browsers their users chose them for."""
    report = await push.send_pending(settings=get_settings())
    return {
        "claimed": report.claimed,
        "sent": report.sent,
        "failed": report.failed,
        "dropped": report.dropped,
    }


class PollFailed(Exception):
    """A poll did not get a usable answer; raised so the retry middleware tries again later."""


async def poll_due_races() -> list[str]:
    """Poll the races the timetable says are due (a failure waits for its next due time)."""
    return [f"{o.race_id}:{o.outcome}" for o in await poll_due(get_settings())]


async def poll_race(race_id: int) -> str:
    """Poll one race now; a poll that fails is retried later with a growing delay.

    Not when the feed could not be reached at all: the hourly timetable tries it again.
    """
    outcome = await poll_one(get_settings(), race_id=race_id)
    if not outcome.ok and outcome.outcome not in UNREACHABLE:
        raise PollFailed(f"race {race_id}: {outcome.outcome}: {outcome.error}")
    return outcome.outcome


async def abandoned_polls() -> int:
    """Close polls a killed worker left open as abandoned; return how many."""
    return await close_abandoned_polls(
        now=gameclock.now(),
        abandon_after=abandon_after(get_settings()),
        closed_by=this_worker(),
    )


async def _season_now() -> int:
    """Return the current season of this worker's settings."""
    return await current_season(configured=get_settings().current_season())


async def driver_stats() -> int:
    """Refresh drivers' season points, average and last-3 form; return how many changed."""
    return await update_driver_stats(season=await _season_now())


async def rebuild_leaderboards() -> int:
    """Rebuild the current season's leaderboards from PostgreSQL; return the teams ranked."""
    return (await refresh.rebuild_leaderboards(season=await _season_now())).teams


async def cleanup() -> dict[str, int]:
    """Delete expired refresh tokens and notifications read over 90 days ago."""
    report = await clean_up()
    return {"refresh_tokens": report.refresh_tokens, "notifications": report.notifications}


EVERY_MINUTE = [{"cron": "* * * * *"}]
# Name, function and labels of every task, as `register_tasks` puts them on a broker.
TASKS: tuple[tuple[str, Callable[..., Any], dict[str, Any]], ...] = (
    (HEARTBEAT.name, heartbeat, {"schedule": EVERY_MINUTE}),
    ("paddock.lock_due_races", lock_due_races, {"schedule": EVERY_MINUTE}),
    ("paddock.poll_due_races", poll_due_races, {"schedule": EVERY_MINUTE}),
    ("paddock.deadline_reminders", deadline_reminders, {"schedule": EVERY_MINUTE}),
    # Sent as soon as notifications are created; the sweep catches up a send that failed.
    (SEND_PUSHES.name, send_pushes, {"schedule": EVERY_MINUTE}),
    (POLL_RACE.name, poll_race, dict(POLL_RACE.labels)),
    ("paddock.close_abandoned_polls", abandoned_polls, {"schedule": [{"cron": "*/5 * * * *"}]}),
    ("paddock.driver_stats", driver_stats, {"schedule": [{"cron": "*/10 * * * *"}]}),
    ("paddock.rebuild_leaderboards", rebuild_leaderboards, {"schedule": [{"cron": "40 4 * * *"}]}),
    ("paddock.cleanup", cleanup, {"schedule": [{"cron": "20 4 * * *"}]}),
)


def register_tasks(broker: AsyncBroker) -> None:
    """Put every task on `broker`, under its name and with its labels."""
    for name, function, labels in TASKS:
        broker.register_task(function, task_name=name, **labels)

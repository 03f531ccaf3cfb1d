"""Background tasks: each a few lines around webapp's domain code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from taskiq import Context, TaskiqDepends

from webapp.models import TaskRun
from webapp.redis import get_redis
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
    """Move races whose lineup deadline has come to `locked`; return their ids."""
    return [race.id for race in await locks.lock_due_races()]

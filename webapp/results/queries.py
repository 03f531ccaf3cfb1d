"""Read stored results and the feed's and queue's state for the admin status page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from tortoise import connections

from webapp import gameclock
from webapp.errors import AppError
from webapp.models import FeedPoll, Race, RaceResult, TaskRun
from webapp.results.polling import feed_last_reached, race_clocks
from webapp.results.timetable import next_poll_at

LAST_POLLS_SQL = """
SELECT DISTINCT ON (p.race_id) p.race_id, p.started_at, p.finished_at, p.ok, p.outcome, p.error,
       p.worker, p.closed_by
FROM feed_polls p
WHERE p.race_id = ANY($1::int[])
ORDER BY p.race_id, p.started_at DESC, p.id DESC
"""
LAST_OK_SQL = """
SELECT race_id, max(started_at) AS at FROM feed_polls
WHERE ok AND race_id = ANY($1::int[]) GROUP BY race_id
"""

POLL_FIELDS = ("started_at", "finished_at", "ok", "outcome", "error", "worker", "closed_by")


@dataclass(frozen=True, slots=True)
class RaceResults:
    race: Race
    rows: list[RaceResult]


async def race_results(*, race_id: int) -> RaceResults:
    """Return the counting version of a race's results, or `not_found` before there are any."""
    race = await race_with_results(race_id=race_id)
    return RaceResults(
        race=race, rows=await result_rows(race_id=race_id, version=race.results_version)
    )


async def race_with_results(*, race_id: int) -> Race:
    """Return a race that has results, or fail with `not_found`."""
    race = await Race.get_or_none(id=race_id)
    if race is None or race.results_version == 0:
        raise AppError.not_found("No results for this race yet")
    return race


async def result_rows(*, race_id: int, version: int) -> list[RaceResult]:
    """Return one version of a race's results in finishing order, drivers and teams loaded."""
    return (
        await RaceResult.filter(race_id=race_id, version=version)
        .select_related("driver", "constructor")
        .order_by("position_order")
    )


async def queue_depth(redis: Redis, *, stream: str, group: str) -> dict[str, Any]:
    """Return the task stream's length and what its consumer group has not acknowledged."""
    length = await redis.xlen(stream)
    try:
        pending = await redis.xpending(stream, group)
        waiting = int(pending["pending"])
        consumers = len(pending.get("consumers") or [])
    except ResponseError:  # no group yet: no worker has started
        waiting, consumers = 0, 0
    lag = None
    try:
        for info in await redis.xinfo_groups(stream):
            if info.get("name") == group:
                lag = info.get("lag")
    except ResponseError:
        pass
    return {
        "stream": stream,
        "length": length,
        "pending": waiting,
        "undelivered": lag,
        "consumers": consumers,
    }


async def admin_status(
    *,
    redis: Redis,
    offsets_hours: list[float],
    stream: str,
    group: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the feed's, the races' and the queue's state for operators."""
    now = now or gameclock.now()
    races = await Race.filter(starts_at__lte=now).exclude(status="cancelled").order_by("starts_at")
    ids = [r.id for r in races]
    conn = connections.get("default")
    last = {row["race_id"]: row for row in await conn.execute_query_dict(LAST_POLLS_SQL, [ids])}
    last_ok = {
        row["race_id"]: row["at"] for row in await conn.execute_query_dict(LAST_OK_SQL, [ids])
    }
    clocks = await race_clocks(now=now)
    race_items = []
    for race in races:
        poll = last.get(race.id)
        clock = clocks.get(race.id)
        race_items.append(
            {
                "race_id": race.id,
                "season": race.season_id,
                "round": race.round,
                "name": race.name,
                "status": str(race.status),
                "results_version": race.results_version,
                "last_poll": None if poll is None else _poll(poll),
                "last_success_at": last_ok.get(race.id),
                "next_poll_at": next_poll_at(clock, offsets_hours) if clock else None,
            }
        )
    # A poll still running is no failure; one a killed worker left open is, once closed.
    failures = (
        await FeedPoll.filter(ok=False, finished_at__not_isnull=True)
        .order_by("-started_at")
        .limit(20)
    )
    runs = await TaskRun.all().order_by("-started_at").limit(20)
    task_failures = (
        await TaskRun.filter(ok=False, finished_at__not_isnull=True)
        .order_by("-started_at")
        .limit(20)
    )
    return {
        "feed": {"last_reached_at": await feed_last_reached()},
        "races": race_items,
        "poll_failures": [
            {"race_id": p.race_id, **{name: getattr(p, name) for name in POLL_FIELDS}}
            for p in failures
        ],
        "tasks": {
            "recent": [_run(r) for r in runs],
            "failures": [_run(r) for r in task_failures],
        },
        "queue": await queue_depth(redis, stream=stream, group=group),
    }


def _poll(poll: dict[str, Any]) -> dict[str, Any]:
    return {name: poll[name] for name in POLL_FIELDS}


def _run(run: TaskRun) -> dict[str, Any]:
    return {
        "task_name": run.task_name,
        "task_id": run.task_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "ok": run.ok,
        "error": run.error,
    }

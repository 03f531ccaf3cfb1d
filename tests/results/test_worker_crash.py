"""A real worker killed mid-poll: the task is delivered again and completes once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from webapp.models import FeedPoll, Notification, Race, ResultVersion, TaskRun
from webapp.settings import ROOT, Settings
from webapp.taskqueue import POLL_RACE
from workers.broker import make_broker
from workers.tasks import HEARTBEAT

from .conftest import FakeFeed, Players

RESULTS = "/2025/1/results.json"
WAIT = 60.0  # a guard against hanging forever, not a measured time


async def until(check: Callable[[], Awaitable[bool]], what: str, log: Path) -> None:
    """Wait until `check()` holds, failing with the worker logs if it never does."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            logs = "\n".join(p.read_text(errors="replace") for p in log.parent.glob("*.log"))
            raise AssertionError(f"gave up waiting for {what}; worker logs:\n{logs}")
        await asyncio.sleep(0.1)


async def group_gone(pgid: int) -> bool:
    """Whether every process of the group has exited (a killed group dies one by one)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@asynccontextmanager
async def worker(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run `taskiq worker` as the Procfile does, in its own process group."""
    args = ["worker", "workers.broker:worker_broker", "--ack-type", "when_executed"]
    with log.open("wb") as output:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "taskiq",
            *args,
            "--workers",
            "1",
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout=30)
            except TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()


async def test_a_task_of_a_killed_worker_runs_again_and_completes_once(
    feed: FakeFeed,
    settings: Settings,
    race_one: Race,
    players: Players,
    redis: Redis,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "RESULTS_API_URL": feed.url,
        "FEED_RATE_PER_SECOND": "1000",
        "FEED_TIMEOUT_SECONDS": "30",
        "TASK_IDLE_TIMEOUT_MS": "5000",  # longer than a poll takes, even on a busy machine
    }
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, {"hang": True})  # the first worker's request never gets an answer
    sender = make_broker(settings.model_copy(update={"task_idle_timeout_ms": 5000}))
    await sender.startup()
    try:
        async with worker(env, tmp_path / "first.log") as first:
            await POLL_RACE.kicker(sender).kiq(race_id=race_one.id)

            async def asked_the_feed() -> bool:
                return feed.hits(RESULTS) >= 1

            await until(
                asked_the_feed, "the first worker to start the poll", tmp_path / "first.log"
            )
            os.killpg(first.pid, signal.SIGKILL)
            await first.wait()
            await until(
                lambda: group_gone(first.pid), "the first worker to die", tmp_path / "first.log"
            )

        assert await ResultVersion.all().count() == 0
        # The poll's task goes to another worker only once it has been idle this long, so by
        # the time it runs again the killed poll is past the same bound and counts as abandoned.
        idle = timedelta(milliseconds=5000)

        async def killed_poll_is_stale() -> bool:
            open_poll = await FeedPoll.get(race_id=race_one.id)
            return bool(datetime.now(UTC) - open_poll.started_at > idle)

        await until(
            killed_poll_is_stale, "the killed poll to pass its bound", tmp_path / "first.log"
        )

        async def keep_messages_coming() -> None:
            # A worker claims abandoned messages only after a read that returned new ones.
            await HEARTBEAT.kicker(sender).kiq()
            await asyncio.sleep(0.5)

        async with worker(env, tmp_path / "second.log"):

            async def results_stored() -> bool:
                await keep_messages_coming()
                return await TaskRun.filter(task_name="poll_race", ok=True).exists()

            await until(results_stored, "the poll to run again", tmp_path / "second.log")

            async def all_acknowledged() -> bool:
                # A message can still be handed to the dead worker's socket before Redis sees
                # it close; it is abandoned like the poll, and claimed the same way.
                await keep_messages_coming()
                pending = await redis.xpending(sender.queue_name, sender.consumer_group_name)
                return int(pending["pending"]) == 0

            await until(
                all_acknowledged, "every message to be acknowledged", tmp_path / "second.log"
            )
    finally:
        await sender.shutdown()

    assert feed.hits(RESULTS) == 2
    assert await ResultVersion.all().count() == 1
    assert (await Race.get(id=race_one.id)).results_version == 1
    runs = await TaskRun.filter(task_name="poll_race").order_by("started_at")
    assert [(r.finished_at is not None, r.ok) for r in runs] == [(False, False), (True, True)]
    polls = await FeedPoll.filter(race_id=race_one.id).order_by("started_at")
    assert [(p.finished_at is not None, p.outcome) for p in polls] == [
        (True, "abandoned"),
        (True, "new_version"),
    ]
    assert await Notification.filter(type="results_published").count() == 3


async def test_a_failed_poll_is_retried_later_through_the_scheduler(
    feed: FakeFeed, settings: Settings, race_one: Race, redis: Redis, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "RESULTS_API_URL": feed.url,
        "FEED_RATE_PER_SECOND": "1000",
        "FEED_MAX_ATTEMPTS": "1",
    }
    feed.script(RESULTS, {"status": 503})
    sender = make_broker(settings)
    await sender.startup()
    try:
        async with worker(env, tmp_path / "worker.log"):
            await POLL_RACE.kicker(sender).kiq(race_id=race_one.id)

            async def retry_scheduled() -> bool:
                return bool(await redis.keys("paddock:retry:time:*"))

            await until(retry_scheduled, "a retry to be scheduled", tmp_path / "worker.log")
    finally:
        await sender.shutdown()

    run = await TaskRun.get(task_name="poll_race")
    assert run.finished_at is not None and not run.ok and "unavailable" in run.error
    (key,) = await redis.keys("paddock:retry:time:*")
    due = datetime.strptime(key.removeprefix("paddock:retry:time:"), "%Y-%m-%dT%H:%M")
    # Due some seconds after the failure (at minute resolution), not in the past.
    failed_minute = run.finished_at.replace(second=0, microsecond=0)
    assert failed_minute <= due.replace(tzinfo=UTC) <= failed_minute + timedelta(minutes=2)
    (schedule_id,) = [s for s in await redis.lrange(key, 0, -1)]
    assert await redis.exists(f"paddock:retry:data:{schedule_id}")
    assert feed.hits(RESULTS) == 1  # not re-sent at once: the scheduler sends it when due

"""The heartbeat: scheduled every minute, run by a real worker through the Redis stream."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from webapp.models import TaskRun
from webapp.settings import ROOT, Settings
from workers.broker import make_broker, worker_scheduler
from workers.tasks import HEARTBEAT, HEARTBEAT_KEY


@pytest.fixture
async def worker(db: None, redis: Redis, settings: Settings, tmp_path: Path) -> AsyncIterator[Path]:
    """Run `taskiq worker` as the Procfile does, on the test services; yield its log file."""
    log = tmp_path / "worker.log"
    args = ["worker", "workers.broker:worker_broker", "--ack-type", "when_executed"]
    with log.open("wb") as output:
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "taskiq", *args, "--workers", "1"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": str(settings.database_url),
                "REDIS_URL": str(settings.redis_url),
            },
            stdout=output,
            stderr=output,
            start_new_session=True,  # its own process group, so it and its children stop
        )
    try:
        yield log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=30)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


@pytest.fixture
async def client_broker(settings: Settings) -> AsyncIterator[RedisStreamBroker]:
    """Return a broker on the test Redis, as the web app uses one to send tasks."""
    broker = make_broker(settings)
    await broker.startup()
    yield broker
    await broker.shutdown()


async def test_a_worker_runs_the_heartbeat_into_postgres_and_redis(
    worker: Path, client_broker: RedisStreamBroker, redis: Redis
) -> None:
    sent = await HEARTBEAT.kicker(client_broker).kiq()
    try:
        result = await sent.wait_result(timeout=60)
    except Exception as exc:
        log = await asyncio.to_thread(worker.read_text)
        raise AssertionError(f"no result; worker log:\n{log}") from exc

    assert not result.is_err, result.error
    assert await redis.get(HEARTBEAT_KEY) == result.return_value
    run = await TaskRun.get(task_id=sent.task_id)
    assert (run.task_name, run.ok) == ("heartbeat", True)
    assert run.started_at.isoformat().replace("+00:00", "Z") == result.return_value
    # Acknowledged once run: nothing is pending for another worker to pick up.
    pending = await redis.xpending(client_broker.queue_name, client_broker.consumer_group_name)
    assert pending["pending"] == 0


async def test_the_scheduler_sends_the_heartbeat_every_minute() -> None:
    schedules = []
    scheduler = worker_scheduler()
    # The label source holds the cron timetable; the other one holds retries, due at times.
    for source in [s for s in scheduler.sources if isinstance(s, LabelScheduleSource)]:
        await source.startup()  # reads the tasks' `schedule` labels, as `taskiq scheduler` does
        schedules += await source.get_schedules()
        await source.shutdown()
    schedules = [schedule for schedule in schedules if schedule.task_name == HEARTBEAT.name]
    assert [schedule.cron for schedule in schedules] == ["* * * * *"]

"""The workers' taskiq broker (a Redis stream with a consumer group), results and scheduler.

`worker_broker` and `worker_scheduler` are what `taskiq worker` and `taskiq scheduler` call
(see the Procfile): the broker is built when a worker starts, never at import.

Workers acknowledge a message when its task has run (`--ack-type when_executed`); a
message left unacknowledged for TASK_IDLE_TIMEOUT_MS by a crashed worker goes to another.
"""

from __future__ import annotations

import asyncio

from taskiq import (
    ScheduleSource,
    SmartRetryMiddleware,
    TaskiqEvents,
    TaskiqScheduler,
    TaskiqState,
)
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import ListRedisScheduleSource, RedisAsyncResultBackend, RedisStreamBroker

from webapp.boot import join_replay, start_following, stop_following
from webapp.db import close_db, init_db
from webapp.gameclock import system_now
from webapp.observability import init_sentry
from webapp.redis import close_redis, init_redis
from webapp.settings import Settings, get_settings
from webapp.taskqueue import start_sender, stop_sender, stream_broker
from workers.middleware import TaskRunMiddleware
from workers.tasks import register_tasks

RESULT_TTL_SECONDS = 24 * 3600
# How long a stopping worker waits for the tasks it cancels to record it (they are left
# unacknowledged whatever happens): the whole of `paddock dev` stops within 3 s.
CANCEL_WAIT_SECONDS = 0.5


def make_broker(settings: Settings) -> RedisStreamBroker:
    """Build a broker on `settings.redis_url` whose workers open the database and Redis."""
    broker = stream_broker(settings)  # refuses a missing REDIS_URL
    url = str(settings.redis_url)
    backend: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        url, result_ex_time=RESULT_TTL_SECONDS, prefix_str="paddock:result"
    )
    broker = broker.with_result_backend(backend)
    # Retries wait for real: the retry is a timed schedule in Redis that the scheduler sends.
    retries = ListRedisScheduleSource(url, prefix="paddock:retry")
    runs = TaskRunMiddleware(metrics_port=settings.worker_metrics_port)
    broker.add_middlewares(
        SmartRetryMiddleware(
            default_retry_count=4,
            default_delay=20,
            use_jitter=True,
            use_delay_exponent=True,
            max_delay_exponent=600,
            schedule_source=retries,
        ),
        runs,  # last, so that its on_error runs first (see TaskRunMiddleware)
    )
    services = ProcessServices(settings)

    @broker.on_event(TaskiqEvents.WORKER_STARTUP)
    async def _open(state: TaskiqState) -> None:
        init_sentry(settings, component="worker")
        await services.open()

    @broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
    async def _close(state: TaskiqState) -> None:
        # What the worker's --wait-tasks-timeout did not see finish, before its connections go.
        await runs.cancel_running(wait=CANCEL_WAIT_SECONDS)
        await services.close()

    return broker


class ProcessServices:
    """The database, Redis and replay a worker or scheduler process opens, closed in reverse."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.owned: dict[str, bool] = {}
        self.following: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Open what the process has not opened yet and join the configured replay."""
        assert self.settings.redis_url
        self.owned["db"] = await init_db(self.settings)
        self.owned["redis"] = await init_redis(self.settings.redis_url)
        # Tasks that create notifications have them pushed at once (webapp.taskqueue).
        self.owned["sender"] = await start_sender(self.settings)
        replay = await join_replay(settings=self.settings, now=system_now())
        self.following = start_following(replay)

    async def close(self) -> None:
        """Stop following the replay, then close only what `open` opened."""
        following, self.following = self.following, None
        await stop_following(following)
        if self.owned.pop("sender", False):
            await stop_sender()
        if self.owned.pop("redis", False):
            await close_redis()
        if self.owned.pop("db", False):
            await close_db()


def make_scheduler(broker: RedisStreamBroker) -> TaskiqScheduler:
    """Build the scheduler that sends tasks whose `schedule` label is due, and due retries."""
    sources: list[ScheduleSource] = [LabelScheduleSource(broker)]
    sources += [
        m.schedule_source
        for m in broker.middlewares
        if isinstance(m, SmartRetryMiddleware) and m.schedule_source is not None
    ]
    return TaskiqScheduler(broker, sources=sources)


def worker_broker() -> RedisStreamBroker:
    """Build the broker of a worker process, with every task on it (`taskiq worker`)."""
    broker = make_broker(get_settings())
    register_tasks(broker)
    return broker


def join_replay_on_start(broker: RedisStreamBroker, settings: Settings) -> None:
    """Have a sending process (the scheduler) join the configured replay when it starts."""
    if settings.replay is None:
        return  # without a replay the scheduler needs no database
    services = ProcessServices(settings)

    @broker.on_event(TaskiqEvents.CLIENT_STARTUP)
    async def _open(state: TaskiqState) -> None:
        await services.open()

    @broker.on_event(TaskiqEvents.CLIENT_SHUTDOWN)
    async def _close(state: TaskiqState) -> None:
        await services.close()


def worker_scheduler() -> TaskiqScheduler:
    """Build the scheduler process's scheduler on a broker of its own (`taskiq scheduler`)."""
    broker = worker_broker()
    join_replay_on_start(broker, get_settings())
    return make_scheduler(broker)

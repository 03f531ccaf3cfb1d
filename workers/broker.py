"""The one taskiq broker (a Redis stream with a consumer group), its results and scheduler.

Workers acknowledge a message when its task has run (`--ack-type when_executed`); a
message left unacknowledged for TASK_IDLE_TIMEOUT_MS by a crashed worker goes to another.
"""

from __future__ import annotations

from taskiq import (
    ScheduleSource,
    SmartRetryMiddleware,
    TaskiqEvents,
    TaskiqScheduler,
    TaskiqState,
)
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import ListRedisScheduleSource, RedisAsyncResultBackend, RedisStreamBroker

from webapp.db import close_db, init_db
from webapp.observability import init_sentry
from webapp.redis import close_redis, init_redis
from webapp.settings import Settings, get_settings
from workers.middleware import TaskRunMiddleware

QUEUE = "paddock:tasks"
CONSUMER_GROUP = "paddock-workers"
# The idle timeout (settings.task_idle_timeout_ms) must be longer than any task should run:
# a task still running then is started a second time.
STREAM_MAXLEN = 100_000  # acknowledged messages stay in a stream until trimmed
RESULT_TTL_SECONDS = 24 * 3600
# Importing this module must work without REDIS_URL (the web app imports tasks); using
# the broker then fails at startup with a clear message, and never reaches another Redis.
UNSET_URL = "redis://redis-url-is-not-set.invalid:6379/0"


def make_broker(settings: Settings) -> RedisStreamBroker:
    """Build a broker on `settings.redis_url` whose workers open the database and Redis."""
    url = settings.redis_url or UNSET_URL
    backend: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        url, result_ex_time=RESULT_TTL_SECONDS, prefix_str="paddock:result"
    )
    broker = RedisStreamBroker(
        url,
        queue_name=QUEUE,
        consumer_group_name=CONSUMER_GROUP,
        consumer_id="0",  # a new group also takes messages sent before it existed
        idle_timeout=settings.task_idle_timeout_ms,
        unacknowledged_lock_timeout=30,  # a worker killed holding the claim lock frees it
        maxlen=STREAM_MAXLEN,
    ).with_result_backend(backend)
    # Retries wait for real: the retry is a timed schedule in Redis that the scheduler sends.
    retries = ListRedisScheduleSource(url, prefix="paddock:retry")
    broker.add_middlewares(
        SmartRetryMiddleware(
            default_retry_count=4,
            default_delay=20,
            use_jitter=True,
            use_delay_exponent=True,
            max_delay_exponent=600,
            schedule_source=retries,
        ),
        TaskRunMiddleware(metrics_port=settings.worker_metrics_port),
    )
    owned: dict[str, bool] = {}

    @broker.on_event(TaskiqEvents.CLIENT_STARTUP, TaskiqEvents.WORKER_STARTUP)
    async def _require_url(state: TaskiqState) -> None:
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set: run `paddock dev` or set it")

    @broker.on_event(TaskiqEvents.WORKER_STARTUP)
    async def _open(state: TaskiqState) -> None:
        assert settings.redis_url
        init_sentry(settings, component="worker")
        owned["db"] = await init_db(settings)
        owned["redis"] = await init_redis(settings.redis_url)

    @broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
    async def _close(state: TaskiqState) -> None:
        if owned.pop("redis", False):
            await close_redis()
        if owned.pop("db", False):
            await close_db()

    return broker


def make_scheduler(broker: RedisStreamBroker) -> TaskiqScheduler:
    """Build the scheduler that sends tasks whose `schedule` label is due, and due retries."""
    sources: list[ScheduleSource] = [LabelScheduleSource(broker)]
    sources += [
        m.schedule_source
        for m in broker.middlewares
        if isinstance(m, SmartRetryMiddleware) and m.schedule_source is not None
    ]
    return TaskiqScheduler(broker, sources=sources)


broker = make_broker(get_settings())
scheduler = make_scheduler(broker)

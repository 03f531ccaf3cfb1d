"""The task stream that web processes send to and workers read: its names, and a sender.

Workers build their own broker on the same stream (`workers.broker`, in the worker's entry
point) with its middlewares, result backend and tasks; a web process only sends, by name,
so it needs none of that and never imports the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from redis.exceptions import RedisError
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

from webapp.settings import Settings

log = logging.getLogger(__name__)

QUEUE = "paddock:tasks"
CONSUMER_GROUP = "paddock-workers"
# The idle timeout (settings.task_idle_timeout_ms) must be longer than any task should run:
# a task still running then is started a second time.
STREAM_MAXLEN = 100_000  # acknowledged messages stay in a stream until trimmed
# taskiq's worker sets its shutdown event from a plain signal handler, which does not wake
# the event loop: an idle worker notices SIGTERM only when its blocking read returns. A
# short block keeps a stop (Ctrl-C in `paddock dev`) well inside the supervisor's 3 s.
XREAD_BLOCK_MS = 250


@dataclass(frozen=True, slots=True)
class QueuedTask:
    """A task's name and the labels it travels with (the retry middleware reads them)."""

    name: str
    labels: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def kicker(self, broker: RedisStreamBroker) -> AsyncKicker[Any, Any]:
        """Return a kicker that sends this task on `broker`."""
        return AsyncKicker(task_name=self.name, broker=broker, labels=dict(self.labels))


POLL_RACE = QueuedTask(
    "paddock.poll_race", MappingProxyType({"retry_on_error": True, "max_retries": 4})
)
# Pushes what is waiting; sent as soon as notifications exist, and swept each minute.
SEND_PUSHES = QueuedTask("paddock.send_pushes")

_sender: RedisStreamBroker | None = None


async def start_sender(settings: Settings) -> bool:
    """Open this process's broker for sending, once; return whether this call opened it."""
    global _sender
    if _sender is not None:
        return False
    broker = stream_broker(settings)
    await broker.startup()
    _sender = broker
    return True


async def stop_sender() -> None:
    """Close this process's broker for sending."""
    global _sender
    if _sender is not None:
        broker, _sender = _sender, None
        await broker.shutdown()


def sender() -> RedisStreamBroker | None:
    """Return this process's broker for sending, None where none was started."""
    return _sender


async def send_soon(task: QueuedTask, **kwargs: Any) -> bool:
    """Send a task now if this process can; return False when it could not (a sweep will)."""
    if _sender is None:
        return False
    try:
        await task.kicker(_sender).kiq(**kwargs)
    except (RedisError, OSError):
        log.warning("task %s not sent; its scheduled sweep will run it", task.name, exc_info=True)
        return False
    return True


def stream_broker(settings: Settings) -> RedisStreamBroker:
    """Return a broker on the task stream of `settings.redis_url`."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: run `paddock dev` or set it")
    return RedisStreamBroker(
        settings.redis_url,
        queue_name=QUEUE,
        consumer_group_name=CONSUMER_GROUP,
        consumer_id="0",  # a new group also takes messages sent before it existed
        idle_timeout=settings.task_idle_timeout_ms,
        unacknowledged_lock_timeout=30,  # a worker killed holding the claim lock frees it
        maxlen=STREAM_MAXLEN,
        xread_block=XREAD_BLOCK_MS,
    )

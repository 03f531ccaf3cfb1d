"""Send background tasks from the web process, on a broker started and stopped with the app."""

from __future__ import annotations

from taskiq_redis import RedisStreamBroker

from webapp.catalogue.queries import get_race
from webapp.settings import Settings
from webapp.taskqueue import CONSUMER_GROUP, POLL_RACE, QUEUE, stream_broker

QUEUE_STREAM = QUEUE
QUEUE_GROUP = CONSUMER_GROUP

_sender: RedisStreamBroker | None = None


async def start_sender(settings: Settings) -> None:
    """Open this process's broker for sending, once."""
    global _sender
    if _sender is None:
        broker = stream_broker(settings)
        await broker.startup()
        _sender = broker


async def stop_sender() -> None:
    """Close this process's broker."""
    global _sender
    if _sender is not None:
        broker, _sender = _sender, None
        await broker.shutdown()


async def queue_poll(*, race_id: int) -> str:
    """Queue a poll of one race now; return the task id."""
    await get_race(race_id=race_id)  # 404 for no such race, before anything is queued
    if _sender is None:
        raise RuntimeError("the task sender is not started in this process")
    task = await POLL_RACE.kicker(_sender).kiq(race_id=race_id)
    return task.task_id

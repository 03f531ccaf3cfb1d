"""Send background tasks from the web process, on a broker started and stopped with the app."""

from __future__ import annotations

from webapp.catalogue.queries import get_race
from webapp.taskqueue import CONSUMER_GROUP, POLL_RACE, QUEUE, sender, start_sender, stop_sender

QUEUE_STREAM = QUEUE
QUEUE_GROUP = CONSUMER_GROUP
__all__ = ["QUEUE_GROUP", "QUEUE_STREAM", "queue_poll", "start_sender", "stop_sender"]


async def queue_poll(*, race_id: int) -> str:
    """Queue a poll of one race now; return the task id."""
    await get_race(race_id=race_id)  # 404 for no such race, before anything is queued
    broker = sender()
    if broker is None:
        raise RuntimeError("the task sender is not started in this process")
    task = await POLL_RACE.kicker(broker).kiq(race_id=race_id)
    return task.task_id

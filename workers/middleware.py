"""Record every task run: a TaskRun row for the admin status page and Prometheus metrics.

It also stops a worker's tasks when the worker stops: what still runs after the worker's
`--wait-tasks-timeout` is cancelled and left unacknowledged, so the stream delivers it
again (after TASK_IDLE_TIMEOUT_MS) instead of a stopping worker waiting on a hung feed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from taskiq import TaskiqMessage, TaskiqMiddleware, TaskiqResult

from webapp.models import TaskRun
from webapp.results.metrics import TASK_DURATION, TASK_RUNS

log = logging.getLogger(__name__)
ERROR_CHARS = 2000
PREFIX = "paddock."
CANCELLED = "cancelled: the worker stopped; the task is delivered again"


def short_name(task_name: str) -> str:
    """Return a task's name without the project prefix, as runs and metrics show it."""
    return task_name.removeprefix(PREFIX)


class TaskRunMiddleware(TaskiqMiddleware):
    """Write a TaskRun row when a task starts and finish it with the outcome.

    Add it last: its `on_error` must run before the retry middleware's, so that a task
    cancelled by `cancel_running` is neither retried nor acknowledged.
    """

    def __init__(self, *, metrics_port: int | None = None) -> None:
        super().__init__()
        self.metrics_port = metrics_port
        self._runs: dict[str, int] = {}
        self._errors: dict[str, str] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._stopping = False

    def startup(self) -> None:
        """Serve this worker's metrics when a port is configured."""
        if not (self.broker.is_worker_process and self.metrics_port):
            return
        registry: CollectorRegistry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        try:
            start_http_server(self.metrics_port, registry=registry)
        except OSError as exc:  # another worker process of this host serves them
            log.info("worker metrics not served here", extra={"reason": str(exc)})

    async def cancel_running(self, *, wait: float) -> int:
        """Cancel the tasks still running as the worker stops, waiting `wait` s; return how many."""
        self._stopping = True
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        if tasks:
            log.warning("cancelling tasks as the worker stops", extra={"count": len(tasks)})
            await asyncio.wait(tasks, timeout=wait)
        return len(tasks)

    async def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        """Record the start of a run."""
        task = asyncio.current_task()
        if task is not None:
            self._running[message.task_id] = task
        try:
            run = await TaskRun.create(
                task_name=short_name(message.task_name),
                task_id=message.task_id,
                started_at=datetime.now(UTC),
            )
            self._runs[message.task_id] = run.id
        except Exception:
            log.exception("cannot record the start of a task run")
        return message

    async def on_error(
        self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException
    ) -> None:
        """Keep the task's own exception: the retry middleware replaces the result's."""
        if self._stopping and isinstance(exception, asyncio.CancelledError):
            self._running.pop(message.task_id, None)
            await self._finish(message.task_id, ok=False, error=CANCELLED)
            raise exception  # out of the receiver before it acknowledges or retries the task
        self._errors[message.task_id] = repr(exception)[:ERROR_CHARS]

    async def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        """Record the end of a run, its outcome and its duration."""
        self._running.pop(message.task_id, None)
        outcome = "failure" if result.is_err else "success"
        name = short_name(message.task_name)
        TASK_RUNS.labels(name, outcome).inc()
        TASK_DURATION.labels(name).observe(result.execution_time)
        error = self._errors.pop(message.task_id, "")
        if result.is_err and not error:
            error = repr(result.error)[:ERROR_CHARS]
        await self._finish(message.task_id, ok=not result.is_err, error=error)

    async def _finish(self, task_id: str, *, ok: bool, error: str) -> None:
        run_id = self._runs.pop(task_id, None)
        if run_id is None:
            return
        try:
            await TaskRun.filter(id=run_id).update(
                finished_at=datetime.now(UTC), ok=ok, error=error
            )
        except Exception:
            log.exception("cannot record the end of a task run")

"""Record every task run: a TaskRun row for the admin status page and Prometheus metrics."""

from __future__ import annotations

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


def short_name(task_name: str) -> str:
    """Return a task's name without the project prefix, as runs and metrics show it."""
    return task_name.removeprefix(PREFIX)


class TaskRunMiddleware(TaskiqMiddleware):
    """Write a TaskRun row when a task starts and finish it with the outcome."""

    def __init__(self, *, metrics_port: int | None = None) -> None:
        super().__init__()
        self.metrics_port = metrics_port
        self._runs: dict[str, int] = {}
        self._errors: dict[str, str] = {}

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

    async def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        """Record the start of a run."""
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
        self._errors[message.task_id] = repr(exception)[:ERROR_CHARS]

    async def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        """Record the end of a run, its outcome and its duration."""
        outcome = "failure" if result.is_err else "success"
        name = short_name(message.task_name)
        TASK_RUNS.labels(name, outcome).inc()
        TASK_DURATION.labels(name).observe(result.execution_time)
        error = self._errors.pop(message.task_id, "")
        if result.is_err and not error:
            error = repr(result.error)[:ERROR_CHARS]
        run_id = self._runs.pop(message.task_id, None)
        if run_id is None:
            return
        try:
            await TaskRun.filter(id=run_id).update(
                finished_at=datetime.now(UTC), ok=not result.is_err, error=error
            )
        except Exception:
            log.exception("cannot record the end of a task run")

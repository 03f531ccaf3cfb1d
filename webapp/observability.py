"""Structured JSON logs with a request id, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from quart import Quart, Response, g, request

from webapp.settings import Settings

if TYPE_CHECKING:
    from sentry_sdk.transport import Transport
    from sentry_sdk.types import Event, Hint

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

REQUEST_LATENCY = Histogram(
    "paddock_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)
REQUESTS = Counter("paddock_http_requests_total", "HTTP requests", ["method", "route", "status"])

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Render each record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id_var.get()) is not None:
            entry["request_id"] = rid
        if (uid := user_id_var.get()) is not None:
            entry["user_id"] = uid
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send JSON lines to stderr for every logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("tortoise", "asyncio", "hypercorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _sentry_context(event: Event, hint: Hint) -> Event:
    """Tag an error report with the request id and user id of the log lines around it."""
    tags = event.setdefault("tags", {})
    if (rid := request_id_var.get()) is not None:
        tags["request_id"] = rid
    if (uid := user_id_var.get()) is not None:
        event.setdefault("user", {})["id"] = str(uid)
    return event


def init_sentry(settings: Settings, *, component: str, transport: Transport | None = None) -> bool:
    """Report errors to Sentry when SENTRY_DSN is set; return whether it is on."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    integrations = []
    if component == "web":
        from sentry_sdk.integrations.quart import QuartIntegration

        integrations.append(QuartIntegration())
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        integrations=integrations,
        traces_sample_rate=0.0,
        max_request_body_size="never",  # bodies carry passwords and tokens
        before_send=_sentry_context,
        transport=transport,
    )
    sentry_sdk.set_tag("component", component)
    return True


def init_observability(app: Quart) -> None:
    """Give every request an id, log it, and time it by route."""
    log = logging.getLogger("paddock.request")

    @app.before_request
    async def _start() -> None:
        rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.request_id = rid[:64]
        g.request_started = time.perf_counter()
        request_id_var.set(g.request_id)
        user_id_var.set(None)

    @app.after_request
    async def _finish(response: Response) -> Response:
        started = getattr(g, "request_started", None)
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        if started is not None:
            elapsed = time.perf_counter() - started
            labels = (request.method, rule, str(response.status_code))
            REQUEST_LATENCY.labels(*labels).observe(elapsed)
            REQUESTS.labels(*labels).inc()
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        return response


def metrics_response() -> Response:
    """Return every registered metric in the Prometheus text format."""
    return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)

"""Structured JSON logs with a request id, and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from quart import Quart, Response, request

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

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}
# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(default=str)


@lru_cache(maxsize=4)
def _second(seconds: int) -> str:
    """Return the ISO date and time of a whole UTC second (one per second is formatted)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_time(created: float) -> str:
    """Return a record's time in ISO 8601 with milliseconds and the UTC offset."""
    seconds = int(created)
    millis = min(int((created - seconds) * 1000), 999)
    return f"{_second(seconds)}.{millis:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """Render each record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": iso_time(record.created),
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
        return _ENCODER.encode(entry)


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


@dataclass(slots=True)
class Exchange:
    """One HTTP request as the access log and the metrics see it, filled in as it goes."""

    method: str
    path: str
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    route: str = "unmatched"
    user_id: int | None = None


exchange_var: ContextVar[Exchange | None] = ContextVar("exchange", default=None)
_LOG = logging.getLogger("paddock.request")
_Series = tuple[Histogram, Counter]
# The labelled children, looked up once per (method, route, status) instead of per request.
_SERIES: dict[tuple[str, str, str], _Series] = {}


def begin_exchange(*, method: str, path: str, request_id: bytes | None) -> Exchange:
    """Start timing a request under the id its caller sent (or a new one); tag logs with it."""
    rid = request_id.decode("latin-1") if request_id else uuid.uuid4().hex
    exchange = Exchange(method=method, path=path, request_id=rid[:64])
    exchange_var.set(exchange)
    request_id_var.set(exchange.request_id)
    user_id_var.set(None)
    return exchange


def set_user_id(user_id: int | None) -> None:
    """Name the signed-in user in this request's log lines, its access log line included."""
    user_id_var.set(user_id)
    if (exchange := exchange_var.get()) is not None:
        exchange.user_id = user_id


def end_exchange(exchange: Exchange, *, status: int) -> None:
    """Log the request and count it by method, route and status."""
    elapsed = time.perf_counter() - exchange.started
    labels = (exchange.method, exchange.route, str(status))
    series = _SERIES.get(labels)
    if series is None:
        series = _SERIES[labels] = (REQUEST_LATENCY.labels(*labels), REQUESTS.labels(*labels))
    series[0].observe(elapsed)
    series[1].inc()
    if _LOG.isEnabledFor(logging.INFO):
        user_id_var.set(exchange.user_id)
        _LOG.info(
            "request",
            extra={
                "method": exchange.method,
                "path": exchange.path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )


def init_observability(app: Quart) -> None:
    """Name each request's route for its metrics (the edge wrapper times and logs it)."""

    @app.before_request
    async def _route() -> None:
        exchange = exchange_var.get()
        if exchange is not None and request.url_rule is not None:
            exchange.route = request.url_rule.rule


def metrics_response() -> Response:
    """Return every registered metric in the Prometheus text format."""
    return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)

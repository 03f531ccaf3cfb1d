"""Tell a PostgreSQL or Redis outage apart from a bug, so it is answered 503 and counted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import asyncpg.exceptions as pg
import redis.exceptions as redis_errors
from prometheus_client import Counter
from tortoise.exceptions import DBConnectionError

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = Counter(
    "paddock_service_unavailable_total",
    "Requests answered 503 because PostgreSQL or Redis could not be reached",
    ["service"],
)
# Connection-level trouble only: the server going away, refusing or shedding connections.
# A cancelled statement (57014) or a bad query is not an outage.
POSTGRES_OUTAGES = (
    pg.PostgresConnectionError,  # class 08, including a connection closed mid-query
    pg.AdminShutdownError,  # pg_terminate_backend, or the server shutting down
    pg.CrashShutdownError,
    pg.CannotConnectNowError,  # the server is starting up or shutting down
    pg.TooManyConnectionsError,
    # A connection whose server end was terminated while idle fails its next query so.
    pg.InternalClientError,
    DBConnectionError,
)
REDIS_OUTAGES = (redis_errors.ConnectionError, redis_errors.TimeoutError)
SOCKET_ERRORS = (ConnectionError, TimeoutError, socket.gaierror)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_in(exc: BaseException) -> str | None:
    """Name the client library whose code raised a bare socket error, if one did."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(("asyncpg", "tortoise")):
            last = "postgresql"
        elif module.startswith("redis"):
            last = "redis"
        tb = tb.tb_next
    return last


def outage_of(exc: BaseException) -> str | None:
    """Return "postgresql" or "redis" when `exc` comes from losing that service, else None."""
    for link in _chain(exc):
        if isinstance(link, POSTGRES_OUTAGES):
            return "postgresql"
        if isinstance(link, pg.InterfaceError) and "connection is closed" in str(link):
            return "postgresql"
        if isinstance(link, REDIS_OUTAGES):
            return "redis"
        if isinstance(link, SOCKET_ERRORS) and (service := _raised_in(link)):
            return service
    return None


def count_outage(service: str) -> None:
    """Count one request refused because `service` is unreachable."""
    UNAVAILABLE.labels(service).inc()

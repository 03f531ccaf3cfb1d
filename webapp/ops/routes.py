"""Liveness, readiness and metrics for load balancers and Prometheus."""

from __future__ import annotations

import asyncio

from prometheus_client import Gauge
from quart import Blueprint, Response, jsonify
from quart_schema import hide
from tortoise import connections

from webapp.observability import metrics_response
from webapp.redis import get_redis

blueprint = Blueprint("ops", __name__)
DEPENDENCY_UP = Gauge(
    "paddock_dependency_up", "1 when the dependency answered the last check, else 0", ["dependency"]
)


async def _check_postgres() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _check_redis() -> None:
    await get_redis().ping()


@blueprint.get("/health")
@hide
async def health() -> Response:
    """Answer while the process runs."""
    return jsonify({"status": "ok"})


async def failed_dependencies() -> list[str]:
    """Check PostgreSQL and Redis, record each in DEPENDENCY_UP, return those that failed."""
    checks = {"postgresql": _check_postgres, "redis": _check_redis}
    failed = []
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), timeout=2.0)
        except Exception:
            failed.append(name)
        DEPENDENCY_UP.labels(name).set(0 if name in failed else 1)
    return failed


@blueprint.get("/ready")
@hide
async def ready() -> tuple[Response, int]:
    """Answer 200 when PostgreSQL and Redis both answer, else 503 naming the failures."""
    failed = await failed_dependencies()
    if failed:
        body = {"status": "unavailable", "failed": failed, "message": f"{', '.join(failed)} down"}
        return jsonify(body), 503
    return jsonify({"status": "ok"}), 200


@blueprint.get("/metrics")
@hide
async def metrics() -> Response:
    """Expose Prometheus metrics, with a fresh check of the dependencies readiness needs."""
    await failed_dependencies()
    return metrics_response()

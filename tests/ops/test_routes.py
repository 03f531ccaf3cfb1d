"""Liveness, readiness, metrics and the API document."""

from __future__ import annotations

from quart.typing import TestClientProtocol
from redis.asyncio import Redis

import webapp.redis as shared_redis


async def test_health(client: TestClientProtocol) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}


async def test_ready_when_services_answer(client: TestClientProtocol) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200


async def test_ready_names_redis_when_it_is_down(client: TestClientProtocol) -> None:
    working = shared_redis._client
    shared_redis._client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        response = await client.get("/ready")
    finally:
        await shared_redis._client.aclose()
        shared_redis._client = working
    assert response.status_code == 503
    body = await response.get_json()
    assert body["failed"] == ["redis"]
    assert "redis" in body["message"]


async def test_metrics_count_requests_by_route(client: TestClientProtocol) -> None:
    await client.get("/health")
    response = await client.get("/metrics")
    text = (await response.get_data()).decode()
    assert response.status_code == 200
    assert (
        'paddock_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health"'
        in text
    )


async def test_openapi_document_and_viewer(client: TestClientProtocol) -> None:
    doc = await (await client.get("/openapi.json")).get_json()
    assert "/api/v1/drivers" in doc["paths"]
    assert "/health" not in doc["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_request_id_is_echoed(client: TestClientProtocol) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"

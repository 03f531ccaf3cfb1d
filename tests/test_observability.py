"""JSON request logs name the request and the user; errors reach Sentry when it is set up."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from quart import Quart
from quart.typing import TestClientProtocol
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from webapp.models import User
from webapp.observability import JsonFormatter, init_sentry
from webapp.settings import Settings


class Captured(Transport):
    """A Sentry transport that keeps envelopes instead of sending them."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event" and item.payload.json
        ]


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("paddock.request")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_request_log_line_names_request_and_user(
    client: TestClientProtocol,
    make_user: Callable[..., Awaitable[User]],
    auth_headers: Callable[[User], dict[str, str]],
    request_log: io.StringIO,
) -> None:
    user = await make_user("alice")
    response = await client.get(
        "/api/v1/users/me", headers={**auth_headers(user), "X-Request-ID": "req-42"}
    )
    assert response.status_code == 200
    await client.get("/health", headers={"X-Request-ID": "req-43"})
    lines = [json.loads(line) for line in request_log.getvalue().splitlines()]
    mine = next(line for line in lines if line.get("request_id") == "req-42")
    assert mine["user_id"] == user.id
    assert mine["path"] == "/api/v1/users/me" and mine["status"] == 200
    anonymous = next(line for line in lines if line.get("request_id") == "req-43")
    assert "user_id" not in anonymous


@pytest.fixture
async def sentry_app(migrated: Settings, db: None, redis: object) -> AsyncIterator[Quart]:
    from webapp.app import create_app

    settings = migrated.model_copy(update={"sentry_dsn": "http://public@127.0.0.1:9/1"})
    app = create_app(settings)

    @app.get("/api/v1/test-boom")
    async def boom() -> str:
        raise RuntimeError("kaboom")

    try:
        async with app.test_app():
            yield app
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: reporting off again for the other tests


async def test_unhandled_error_reaches_sentry_with_request_id(
    sentry_app: Quart, migrated: Settings
) -> None:
    transport = Captured()
    settings = migrated.model_copy(update={"sentry_dsn": "http://public@127.0.0.1:9/1"})
    assert init_sentry(settings, component="web", transport=transport)
    response = await sentry_app.test_client().get(
        "/api/v1/test-boom", headers={"X-Request-ID": "boom-1"}
    )
    assert response.status_code == 500
    assert (await response.get_json())["error"]["code"] == "internal_error"
    sentry_sdk.flush()
    events = transport.events()
    assert events, "no event reached the transport"
    event = events[0]
    assert event["tags"]["request_id"] == "boom-1"
    assert event["tags"]["component"] == "web"
    values = event["exception"]["values"]
    assert values[-1]["type"] == "RuntimeError" and values[-1]["value"] == "kaboom"


def test_sentry_stays_off_without_a_dsn(migrated: Settings) -> None:
    assert migrated.sentry_dsn is None
    assert init_sentry(migrated, component="worker") is False

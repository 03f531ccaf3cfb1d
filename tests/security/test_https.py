"""FORCE_HTTPS: plain HTTP is redirected, and only trusted proxies may say the client used TLS."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.security import forwarded_secure

PROXY = ("10.0.0.5", 40000)
STRANGER = ("203.0.113.9", 40000)


@pytest.fixture
async def forced(app_with: Any) -> Any:
    async with app_with(force_https=True, trusted_proxies=["10.0.0.0/24"]) as app:
        yield app.test_client()


async def test_plain_get_is_redirected_to_the_same_https_address(forced: Any) -> None:
    response = await forced.get("/leagues?q=x", scope_base={"client": STRANGER})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/leagues?q=x"


async def test_plain_post_keeps_its_method_through_a_308(forced: Any) -> None:
    response = await forced.post("/api/v1/auth/login", json={}, scope_base={"client": STRANGER})
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/api/v1/auth/login"


async def test_the_redirect_comes_before_csrf_and_limits(forced: Any) -> None:
    response = await forced.post(
        "/login", form={"username": "a", "password": "b"}, scope_base={"client": STRANGER}
    )
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/login"


async def test_a_trusted_proxy_saying_https_is_believed(forced: Any) -> None:
    response = await forced.get(
        "/api/v1/auth/me-not-here",
        headers={"X-Forwarded-Proto": "https"},
        scope_base={"client": PROXY},
    )
    assert response.status_code == 404


async def test_anyone_else_saying_https_is_not(forced: Any) -> None:
    response = await forced.get(
        "/login", headers={"X-Forwarded-Proto": "https"}, scope_base={"client": STRANGER}
    )
    assert response.status_code == 301


async def test_probes_stay_on_plain_http(forced: Any) -> None:
    for path in ("/health", "/ready", "/metrics"):
        response = await forced.get(path, scope_base={"client": STRANGER})
        assert response.status_code == 200, path


async def test_a_plain_websocket_is_refused(forced: Any) -> None:
    from quart.testing.connections import WebsocketResponseError

    with pytest.raises(WebsocketResponseError) as refused:
        async with forced.websocket(
            "/ws", headers={"Origin": "https://localhost"}, scope_base={"client": STRANGER}
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_nothing_is_redirected_without_force_https(client: Any) -> None:
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/login")).status_code == 200


def test_the_nearest_proxy_value_counts() -> None:
    trusted = ["10.0.0.0/8"]
    assert forwarded_secure(
        scheme="http", peer="10.1.1.1", forwarded_proto="https", trusted=trusted
    )
    # A client's own "https" before the proxy's "http" does not count.
    assert not forwarded_secure(
        scheme="http", peer="10.1.1.1", forwarded_proto="https, http", trusted=trusted
    )
    assert not forwarded_secure(scheme="http", peer=None, forwarded_proto="https", trusted=trusted)
    assert forwarded_secure(scheme="https", peer="8.8.8.8", forwarded_proto=None, trusted=[])

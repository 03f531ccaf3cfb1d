"""Every response carries the security headers and a CSP without inline script or style."""

from __future__ import annotations

import re

import pytest
from quart import Quart
from quart.testing.connections import WebsocketResponseError
from quart.typing import TestClientProtocol

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def assert_secure(headers: object) -> dict[str, list[str]]:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name  # type: ignore[attr-defined]
    csp = directives(headers["Content-Security-Policy"])  # type: ignore[index]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[kind] and "'unsafe-eval'" not in csp[kind]
    return csp


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/api/v1/drivers", "/api/v1/nope", "/nope", "/health", "/static/css/app.css"],
)
async def test_every_kind_of_response_has_the_headers(
    client: TestClientProtocol, season: int, path: str
) -> None:
    response = await client.get(path)
    csp = assert_secure(response.headers)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    # Live updates connect back to this host only.
    assert csp["connect-src"] == ["'self'", "ws://localhost", "wss://localhost"]
    assert "Strict-Transport-Security" not in response.headers


async def test_errors_and_method_refusals_have_the_headers(client: TestClientProtocol) -> None:
    response = await client.delete("/api/v1/drivers")
    assert response.status_code == 405
    assert_secure(response.headers)


async def test_api_answers_are_not_stored_and_pages_revalidate(
    client: TestClientProtocol, season: int
) -> None:
    assert (await client.get("/api/v1/drivers")).headers["Cache-Control"] == "no-store"
    assert (await client.get("/")).headers["Cache-Control"] == "private, no-cache"


async def test_hsts_only_when_https_is_forced(app_with: object) -> None:
    async with app_with(force_https=True) as app:  # type: ignore[operator]
        response = await app.test_client().get("/health", scheme="https")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert directives(response.headers["Content-Security-Policy"])["connect-src"] == [
        "'self'",
        "wss://localhost",
    ]


async def test_a_forged_host_cannot_widen_the_policy(client: TestClientProtocol) -> None:
    response = await client.get("/health", headers={"Host": "evil; script-src *"})
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["connect-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]


async def test_api_docs_allow_only_their_own_inline_script(client: TestClientProtocol) -> None:
    response = await client.get("/docs")
    html = (await response.get_data()).decode()
    csp = assert_secure(response.headers)
    hashes = [s for s in csp["script-src"] if s.startswith("'sha256-")]
    assert len(hashes) == len(re.findall(r"<script>", html)) == 1
    assert csp["script-src"][:2] == ["'self'", "https://cdnjs.cloudflare.com"]


async def test_a_refused_websocket_handshake_has_the_headers(app: Quart) -> None:
    client = app.test_client()
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws", headers={"Origin": "https://evil.example"}):
            pass
    response = refused.value.response
    assert response.status_code == 403
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value

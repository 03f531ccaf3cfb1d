"""Cross-origin API use only from CORS_ORIGINS, and never with cookies."""

from __future__ import annotations

import asyncio
from typing import Any

ALLOWED = "https://app.example.com"
SITE = {"Origin": "http://localhost"}


async def test_no_origin_is_allowed_by_default(client: Any, season: int) -> None:
    response = await client.get("/api/v1/drivers", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_listed_origin_is_allowed_without_credentials(app_with: Any, season: int) -> None:
    async with app_with(cors_origins=[ALLOWED + "/"]) as app:
        client = app.test_client()
        allowed = await client.get("/api/v1/drivers", headers={"Origin": ALLOWED})
        other = await client.get("/api/v1/drivers", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Retry-After" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]


async def test_preflight_names_methods_and_only_allowed_headers(app_with: Any) -> None:
    async with app_with(cors_origins=[ALLOWED]) as app:
        response = await app.test_client().options(
            "/api/v1/teams",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, x-evil",
            },
        )
    assert response.status_code == 200
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert allowed == {"authorization", "content-type"}
    assert response.headers["Access-Control-Max-Age"] == "600"


async def test_live_socket_keeps_its_own_origin_rule(app_with: Any, season: int) -> None:
    """CORS_ORIGINS does not stop the site's own pages from opening /ws."""
    async with (
        app_with(cors_origins=[ALLOWED]) as app,
        app.test_client().websocket("/ws?topics=leaderboard", headers=SITE) as ws,
    ):
        # Only a guard against a hang: the loop ends as soon as the handshake is answered.
        for _ in range(500):
            if ws.accepted:
                break
            await asyncio.sleep(0.01)
        assert ws.accepted

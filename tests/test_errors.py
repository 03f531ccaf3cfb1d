"""Errors keep the shape of the contract: JSON under /api, a page elsewhere."""

from __future__ import annotations

from quart.typing import TestClientProtocol


async def test_api_404_is_json(client: TestClientProtocol) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    body = await response.get_json()
    assert body["error"]["code"] == "not_found"
    assert set(body["error"]) == {"code", "message", "details"}


async def test_page_404_is_html(client: TestClientProtocol) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not found" in (await response.get_data()).decode()


async def test_unknown_race_is_not_found(client: TestClientProtocol, season: int) -> None:
    response = await client.get("/api/v1/races/999999")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


async def test_bad_query_is_validation_error_naming_field(
    client: TestClientProtocol, season: int
) -> None:
    response = await client.get("/api/v1/drivers?season=soon")
    assert response.status_code == 422
    body = await response.get_json()
    assert body["error"]["code"] == "validation_error"
    assert "season" in body["error"]["details"]["fields"]

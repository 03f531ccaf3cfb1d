"""Request bodies: too large or too deeply nested is 413 in the API's error format."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.security import MAX_JSON_DEPTH, json_too_deep


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_a_body_over_the_limit_is_413(app_with: Any) -> None:
    async with app_with(max_body_bytes=2000) as app:
        response = await app.test_client().post(
            "/api/v1/auth/login", json={"username": "x" * 3000, "password": "p"}
        )
    assert response.status_code == 413
    body = await response.get_json()
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["message"] == "Request body is larger than 2000 bytes"


async def test_a_form_over_the_limit_is_413_too(app_with: Any) -> None:
    async with app_with(max_body_bytes=2000) as app:
        response = await app.test_client().post("/login", form={"username": "x" * 3000})
    assert response.status_code == 413


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200_000])
async def test_json_nested_too_deep_is_413(client: Any, depth: int) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data=nested(depth),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    error = (await response.get_json())["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"max_depth": MAX_JSON_DEPTH}


async def test_json_at_the_depth_limit_reaches_validation(client: Any) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data=nested(MAX_JSON_DEPTH),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"name": "' + "[" * 100 + '", "x": [1, {"y": "\\"]]]"}]}'
    assert not json_too_deep(text.encode())
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1).encode())
    assert not json_too_deep(nested(MAX_JSON_DEPTH).encode())
    assert json_too_deep(b'{"a":' * 40 + b"1" + b"}" * 40)


async def test_a_body_that_is_not_utf8_is_400(client: Any) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        data=b'{"username": "\xff\xfe"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "bad_request"


async def test_numbers_beyond_the_database_range_are_422(client: Any, season: int) -> None:
    for path in ("/api/v1/drivers?season=99999999999", "/api/v1/races?season=-2682136212"):
        response = await client.get(path)
        assert response.status_code == 422, path
        assert (await response.get_json())["error"]["code"] == "validation_error"
    response = await client.get("/api/v1/leagues?offset=370803348651559944192")
    assert response.status_code == 422
    assert "offset" in (await response.get_json())["error"]["details"]["fields"]


async def test_a_value_too_long_for_its_column_is_422_naming_it(
    client: Any, make_user: Any, auth_headers: Any
) -> None:
    user = await make_user("alice")
    response = await client.post(
        "/api/v1/leagues/join",
        json={"invite_code": "0" * 39, "team_id": 1},
        headers=auth_headers(user),
    )
    assert response.status_code == 422
    error = (await response.get_json())["error"]
    assert error["code"] == "validation_error"
    assert "invite_code" in error["details"]["fields"]

"""Text no column can store gets a 422 naming the field, for the API and for pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from quart.typing import TestClientProtocol

from tests.conftest import read_csrf_token
from webapp.models import User

MakeUser = Callable[..., Awaitable[User]]
Headers = Callable[[User], dict[str, str]]
JSON = {"Content-Type": "application/json"}


def assert_invalid_text(body: dict, field: str) -> None:
    error = body["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]
    assert "text is invalid" in error["details"]["fields"][field]
    assert field in error["message"] and "text is invalid" in error["message"]
    assert "number" not in error["message"]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
async def test_json_text_field_with_unstorable_text_is_refused(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers, escape: str
) -> None:
    alice = await make_user("alice")
    response = await client.patch(
        "/api/v1/users/me",
        data=f'{{"display_name": "Al{escape}ice"}}',
        headers={**JSON, **auth_headers(alice)},
    )
    assert response.status_code == 422
    assert_invalid_text(await response.get_json(), "display_name")
    assert (await User.get(id=alice.id)).display_name == "alice"


async def test_nested_json_text_names_its_path(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    admin = await make_user("root", is_admin=True)
    response = await client.put(
        "/api/v1/admin/races/1/results",
        data='{"items": [{"driver_id": 1, "position_text": "1", "status": "Fin\\ud800"}]}',
        headers={**JSON, **auth_headers(admin)},
    )
    assert response.status_code == 422
    assert_invalid_text(await response.get_json(), "items.0.status")


async def test_a_bad_field_name_is_refused_too(client: TestClientProtocol) -> None:
    response = await client.post(
        "/api/v1/auth/login", data='{"user\\udc00name": "x", "password": "y"}', headers=JSON
    )
    assert response.status_code == 422
    assert_invalid_text(await response.get_json(), "username")
    query = await client.get("/api/v1/drivers?sea%00son=1")
    assert query.status_code == 422
    assert_invalid_text(await query.get_json(), "season")


async def test_refresh_token_with_a_lone_surrogate_is_refused(client: TestClientProtocol) -> None:
    response = await client.post(
        "/api/v1/auth/refresh", data='{"refresh_token": "pr_\\ud83d"}', headers=JSON
    )
    assert response.status_code == 422
    assert_invalid_text(await response.get_json(), "refresh_token")


@pytest.mark.parametrize("url", ["/api/v1/leagues?q=a%00b", "/api/v1/users?q=%00"])
async def test_nul_in_search_is_refused(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers, url: str
) -> None:
    response = await client.get(url, headers=auth_headers(await make_user("alice")))
    assert response.status_code == 422
    assert_invalid_text(await response.get_json(), "q")


async def test_page_search_with_nul_says_which_field(client: TestClientProtocol, db: None) -> None:
    response = await client.get("/leagues?q=a%00b")
    assert response.status_code == 422
    html = (await response.get_data()).decode()
    assert "q: the text is invalid" in html
    assert "number is out of range" not in html


async def test_page_form_with_nul_changes_nothing(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    csrf = await read_csrf_token(client)
    login = await client.post(
        "/login",
        form={"username": "alice", "password": "correct horse battery", "csrf_token": csrf},
    )
    assert login.status_code in (302, 303)
    response = await client.post(
        "/profile",
        form={"display_name": "Ali\x00ce", "email": "alice@example.com", "csrf_token": csrf},
    )
    assert response.status_code == 422
    assert "display_name: the text is invalid" in (await response.get_data()).decode()
    assert (await User.get(username="alice")).display_name == "alice"

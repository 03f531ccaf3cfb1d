"""The current-user helper: bearer for the API, session cookie for pages, login redirects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from quart.typing import TestClientProtocol

from webapp.auth.tokens import create_access_token
from webapp.models import User
from webapp.settings import get_settings

MakeUser = Callable[..., Awaitable[User]]


async def test_bearer_token_identifies_the_caller(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    alice = await make_user("alice")
    response = await client.get("/api/v1/users/me", headers=auth_headers(alice))
    assert response.status_code == 200
    body = await response.get_json()
    assert body["username"] == "alice"
    assert body["is_admin"] is False
    assert body["created_at"].endswith("Z")


async def test_no_token_is_unauthorized(client: TestClientProtocol) -> None:
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


async def test_garbage_and_wrong_scheme_are_unauthorized(client: TestClientProtocol) -> None:
    for header in ("Bearer not-a-jwt", "Basic YWxpY2U6cGFzcw==", "Bearer"):
        response = await client.get("/api/v1/users/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert (await response.get_json())["error"]["code"] == "unauthorized"


async def test_expired_access_token_is_refused(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    long_ago = datetime.now(UTC) - timedelta(minutes=31)
    token, life = create_access_token(
        user=alice, now=long_ago, secret=get_settings().signing_key(), access_minutes=30
    )
    assert life == 30 * 60
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert (await response.get_json())["error"]["message"] == "Token expired"
    fresh, _ = create_access_token(
        user=alice,
        now=datetime.now(UTC) - timedelta(minutes=29),
        secret=get_settings().signing_key(),
        access_minutes=30,
    )
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {fresh}"})
    assert response.status_code == 200


async def test_page_needing_login_redirects_with_next(client: TestClientProtocol) -> None:
    response = await client.get("/profile")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=%2Fprofile"


async def test_htmx_request_needing_login_gets_hx_redirect(client: TestClientProtocol) -> None:
    response = await client.get("/profile", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/login?next=%2Fprofile"


async def test_session_cookie_identifies_user_on_pages_and_api(
    client: TestClientProtocol, make_user: MakeUser, login: Callable[..., Awaitable[None]]
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    page = (await (await client.get("/profile")).get_data()).decode()
    assert "alice@example.com" in page
    response = await client.get("/api/v1/users/me")
    assert response.status_code == 200
    assert (await response.get_json())["username"] == "alice"

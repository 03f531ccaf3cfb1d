"""CSRF: forms and cookie-authenticated API calls need the token; bearer calls do not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart.typing import TestClientProtocol

from webapp.models import User

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]


async def test_form_without_token_is_refused_and_changes_nothing(
    client: TestClientProtocol, make_user: MakeUser, login: Login
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    response = await client.post("/profile", form={"display_name": "Mallory", "email": alice.email})
    assert response.status_code == 403
    assert "CSRF" in (await response.get_data()).decode()
    await alice.refresh_from_db()
    assert alice.display_name == "alice"


async def test_form_with_wrong_token_is_refused(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    await client.get("/login")
    response = await client.post(
        "/login",
        form={"username": "alice", "password": "correct horse battery", "csrf_token": "forged"},
    )
    assert response.status_code == 403
    me = await client.get("/api/v1/users/me")
    assert me.status_code == 401


async def test_logout_form_without_token_keeps_session(
    client: TestClientProtocol, make_user: MakeUser, login: Login
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    assert (await client.post("/logout")).status_code == 403
    assert (await client.get("/api/v1/users/me")).status_code == 200


async def test_htmx_header_token_is_accepted(
    client: TestClientProtocol, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    token = await csrf_token_for(client)
    response = await client.post(
        "/profile",
        form={"display_name": "Alice A", "email": alice.email},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    await alice.refresh_from_db()
    assert alice.display_name == "Alice A"


async def test_cookie_authenticated_api_change_needs_header(
    client: TestClientProtocol, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    refused = await client.patch("/api/v1/users/me", json={"display_name": "Forged"})
    assert refused.status_code == 403
    assert (await refused.get_json())["error"]["code"] == "forbidden"
    token = await csrf_token_for(client)
    allowed = await client.patch(
        "/api/v1/users/me", json={"display_name": "Alice"}, headers={"X-CSRF-Token": token}
    )
    assert allowed.status_code == 200
    assert (await allowed.get_json())["display_name"] == "Alice"


async def test_bearer_api_change_needs_no_csrf(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Callable[[User], dict[str, str]]
) -> None:
    alice = await make_user("alice")
    response = await client.patch(
        "/api/v1/users/me", json={"display_name": "Alice"}, headers=auth_headers(alice)
    )
    assert response.status_code == 200


async def test_token_survives_login_and_logout_for_htmx_headers(
    client: TestClientProtocol, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    # htmx keeps the <body hx-headers> of the first page across boosted navigations.
    alice = await make_user("alice")
    before = await csrf_token_for(client)
    await login(client, alice)
    assert await csrf_token_for(client) == before
    response = await client.post("/logout", headers={"X-CSRF-Token": before})
    assert response.status_code == 303
    assert (await client.get("/api/v1/users/me")).status_code == 401
    assert await csrf_token_for(client) == before


async def test_valid_form_field_wins_over_a_stale_header(
    client: TestClientProtocol, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    response = await client.post(
        "/logout",
        form={"csrf_token": await csrf_token_for(client)},
        headers={"X-CSRF-Token": "stale"},
    )
    assert response.status_code == 303
    assert (await client.get("/api/v1/users/me")).status_code == 401

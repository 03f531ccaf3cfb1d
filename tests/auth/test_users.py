"""GET/PATCH /users/me and GET /users: one's own profile, and finding others by prefix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart.typing import TestClientProtocol

from webapp.models import User

MakeUser = Callable[..., Awaitable[User]]
Headers = Callable[[User], dict[str, str]]
PASSWORD = "correct horse battery"


async def patch_me(client: TestClientProtocol, headers: dict[str, str], **body: object) -> tuple:
    response = await client.patch("/api/v1/users/me", json=body, headers=headers)
    return response.status_code, await response.get_json()


async def test_me_shows_own_account(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    boss = await make_user("boss", is_admin=True)
    response = await client.get("/api/v1/users/me", headers=auth_headers(boss))
    body = await response.get_json()
    assert set(body) == {"id", "email", "username", "display_name", "is_admin", "created_at"}
    assert body["is_admin"] is True
    assert body["email"] == "boss@example.com"


async def test_patch_display_name(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    status, body = await patch_me(client, auth_headers(alice), display_name="  Alice   Liddell ")
    assert status == 200
    assert body["display_name"] == "Alice Liddell"
    status, body = await patch_me(client, auth_headers(alice), display_name="   ")
    assert status == 422
    assert "display_name" in body["error"]["details"]["fields"]


async def test_email_change_needs_the_current_password(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    headers = auth_headers(alice)
    for extra in ({}, {"current_password": "not my password"}):
        status, body = await patch_me(client, headers, email="new@example.com", **extra)
        assert status == 403
        assert body["error"]["code"] == "wrong_password"
    await alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    status, body = await patch_me(
        client, headers, email="New@Example.com", current_password=PASSWORD
    )
    assert status == 200
    assert body["email"] == "new@example.com"


async def test_same_email_needs_no_password(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    status, _ = await patch_me(client, auth_headers(alice), email="ALICE@example.com")
    assert status == 200


async def test_password_change_needs_the_current_password(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    status, body = await patch_me(
        client, auth_headers(alice), password="a brand new secret", current_password="wrong one!"
    )
    assert status == 403
    assert body["error"]["code"] == "wrong_password"
    login = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert login.status_code == 200


async def test_weak_new_password_is_422(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    status, body = await patch_me(
        client, auth_headers(alice), password="short", current_password=PASSWORD
    )
    assert status == 422
    assert "password" in body["error"]["details"]["fields"]


async def test_taking_anothers_email_is_409(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    await make_user("bob")
    status, body = await patch_me(
        client, auth_headers(alice), email="BOB@example.com", current_password=PASSWORD
    )
    assert status == 409
    assert body["error"]["code"] == "email_taken"


async def test_a_user_cannot_change_another_user(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    # Bob's token only ever reaches Bob's account, whatever the body says.
    status, body = await patch_me(client, auth_headers(bob), display_name="Not Alice")
    assert status == 200
    assert body["username"] == "bob"
    for field, value in (("id", alice.id), ("username", "alice"), ("is_admin", True)):
        status, body = await patch_me(client, auth_headers(bob), **{field: value})
        assert status == 422, field
        assert field in body["error"]["details"]["fields"]
    # A wrong current password changes nothing.
    status, body = await patch_me(
        client, auth_headers(bob), email="mallory@example.com", current_password=PASSWORD + "x"
    )
    assert status == 403
    await alice.refresh_from_db()
    await bob.refresh_from_db()
    assert (alice.display_name, alice.email, alice.is_admin) == (
        "alice",
        "alice@example.com",
        False,
    )
    assert bob.is_admin is False
    assert bob.email == "bob@example.com"


async def test_patch_needs_a_token(client: TestClientProtocol) -> None:
    response = await client.patch("/api/v1/users/me", json={"display_name": "x"})
    assert response.status_code == 401


async def test_search_by_prefix_any_case_paginated(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    me = await make_user("searcher")
    for name in ("Anna", "annabel", "ann_x", "annie", "bob", "joanna"):
        await make_user(name)
    headers = auth_headers(me)
    response = await client.get("/api/v1/users?q=ANN&limit=2", headers=headers)
    body = await response.get_json()
    assert body["total"] == 4
    assert len(body["items"]) == 2
    assert set(body["items"][0]) == {"id", "username", "display_name"}
    second = await (
        await client.get("/api/v1/users?q=ann&limit=2&offset=2", headers=headers)
    ).get_json()
    names = [item["username"] for item in body["items"] + second["items"]]
    assert sorted(names) == sorted(["Anna", "annabel", "ann_x", "annie"])
    assert len(set(names)) == 4
    # `_` is a literal, not a LIKE wildcard.
    literal = await (await client.get("/api/v1/users?q=ann_", headers=headers)).get_json()
    assert [item["username"] for item in literal["items"]] == ["ann_x"]
    none = await (await client.get("/api/v1/users?q=zz", headers=headers)).get_json()
    assert none == {"items": [], "total": 0}


async def test_search_needs_login_and_a_prefix(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    assert (await client.get("/api/v1/users?q=a")).status_code == 401
    me = await make_user("searcher")
    response = await client.get("/api/v1/users", headers=auth_headers(me))
    assert response.status_code == 422
    assert "q" in (await response.get_json())["error"]["details"]["fields"]
    big = await client.get("/api/v1/users?q=s&limit=5000", headers=auth_headers(me))
    assert big.status_code == 200

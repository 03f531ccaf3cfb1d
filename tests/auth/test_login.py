"""POST /auth/login: by username or email, one answer for every kind of wrong."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from argon2 import PasswordHasher
from quart.typing import TestClientProtocol

from webapp.auth.passwords import hasher
from webapp.models import User

MakeUser = Callable[..., Awaitable[User]]


async def login(client: TestClientProtocol, username: str, password: str) -> tuple[int, dict]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    return response.status_code, await response.get_json()


async def test_login_by_username_gives_working_tokens(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    status, body = await login(client, "alice", "correct horse battery")
    assert status == 200
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert (await me.get_json())["username"] == "alice"


async def test_login_by_email_or_username_in_any_case(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("Alice", email="alice@example.com")
    for name in ("ALICE@Example.com", "alice@example.com", "alice", "ALICE", " Alice "):
        status, _ = await login(client, name, "correct horse battery")
        assert status == 200, name


async def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    wrong = await login(client, "alice", "wrong password!")
    unknown = await login(client, "nobody", "wrong password!")
    unknown_email = await login(client, "nobody@example.com", "correct horse battery")
    assert wrong[0] == unknown[0] == unknown_email[0] == 401
    assert wrong[1] == unknown[1] == unknown_email[1]
    assert wrong[1]["error"]["code"] == "unauthorized"


async def test_password_is_case_sensitive(client: TestClientProtocol, make_user: MakeUser) -> None:
    await make_user("alice")
    status, _ = await login(client, "alice", "CORRECT HORSE BATTERY")
    assert status == 401


async def test_login_rehashes_old_parameters(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    current = hasher()
    older = PasswordHasher(
        time_cost=current.time_cost + 1,
        memory_cost=current.memory_cost,
        parallelism=current.parallelism,
    )
    alice.password_hash = older.hash("correct horse battery")
    await alice.save()
    old_hash = alice.password_hash
    status, _ = await login(client, "alice", "correct horse battery")
    assert status == 200
    await alice.refresh_from_db()
    assert alice.password_hash != old_hash
    assert alice.password_hash.startswith("$argon2id$")
    assert not current.check_needs_rehash(alice.password_hash)
    status, _ = await login(client, "alice", "correct horse battery")
    assert status == 200


async def test_missing_password_is_422(client: TestClientProtocol) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "alice"})
    assert response.status_code == 422
    assert "password" in (await response.get_json())["error"]["details"]["fields"]

"""POST /auth/register: the account, its checks and conflicts."""

from __future__ import annotations

import pytest
from quart.typing import TestClientProtocol

from webapp.models import User

GOOD = {"email": "Alice@Example.com", "username": "alice_1", "password": "correct horse battery"}


async def register(client: TestClientProtocol, **changes: object) -> tuple[int, dict]:
    response = await client.post("/api/v1/auth/register", json={**GOOD, **changes})
    return response.status_code, await response.get_json()


async def test_register_creates_account(client: TestClientProtocol) -> None:
    status, body = await register(client)
    assert status == 201
    assert set(body) == {"id", "email", "username", "display_name"}
    assert body["email"] == "alice@example.com"
    assert body["username"] == "alice_1"
    assert body["display_name"] == "alice_1"
    user = await User.get(id=body["id"])
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert user.is_admin is False


async def test_duplicate_email_any_case_is_409(client: TestClientProtocol) -> None:
    await register(client)
    status, body = await register(client, email="ALICE@example.COM", username="other")
    assert status == 409
    assert body["error"]["code"] == "email_taken"
    assert await User.all().count() == 1


async def test_duplicate_username_any_case_is_409(client: TestClientProtocol) -> None:
    await register(client)
    status, body = await register(client, email="second@example.com", username="ALICE_1")
    assert status == 409
    assert body["error"]["code"] == "username_taken"
    assert await User.all().count() == 1


@pytest.mark.parametrize(
    "password", ["short", "123456789", " " * 9, "x" * 129, "alice_1", "ALICE@EXAMPLE.COM"]
)
async def test_weak_password_is_422_naming_password(
    client: TestClientProtocol, password: str
) -> None:
    status, body = await register(client, password=password)
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert "password" in body["error"]["details"]["fields"]
    assert await User.all().count() == 0


@pytest.mark.parametrize("username", ["ab", "a" * 31, "al ice", "alice!", "ålice", ""])
async def test_bad_username_is_422(client: TestClientProtocol, username: str) -> None:
    status, body = await register(client, username=username)
    assert status == 422
    assert "username" in body["error"]["details"]["fields"]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@c.com", ""])
async def test_bad_email_is_422(client: TestClientProtocol, email: str) -> None:
    status, body = await register(client, email=email)
    assert status == 422
    assert "email" in body["error"]["details"]["fields"]


async def test_every_bad_field_is_named_at_once(client: TestClientProtocol) -> None:
    status, body = await register(client, email="nope", username="x", password="short")
    assert status == 422
    assert set(body["error"]["details"]["fields"]) == {"email", "username", "password"}


async def test_missing_fields_are_named(client: TestClientProtocol) -> None:
    response = await client.post("/api/v1/auth/register", json={"email": "a@example.com"})
    assert response.status_code == 422
    fields = (await response.get_json())["error"]["details"]["fields"]
    assert "username" in fields
    assert "password" in fields


async def test_body_that_is_not_json_is_400(client: TestClientProtocol) -> None:
    response = await client.post(
        "/api/v1/auth/register", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "bad_request"

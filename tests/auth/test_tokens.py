"""Refresh rotation, theft detection, logout, expiry and password changes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from quart.typing import TestClientProtocol

from webapp.auth import tokens
from webapp.auth.sessions import create_session
from webapp.errors import AppError
from webapp.models import RefreshToken, User

MakeUser = Callable[..., Awaitable[User]]
PASSWORD = "correct horse battery"
# Tokens made and read here without the app: any key will do, with the default lifetimes.
SECRET = "a-signing-key-for-tokens-made-outside-the-app"


async def login(client: TestClientProtocol, username: str = "alice") -> dict:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200
    return await response.get_json()


async def refresh(client: TestClientProtocol, token: str) -> tuple[int, dict]:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    return response.status_code, await response.get_json()


async def me_status(client: TestClientProtocol, access: str) -> int:
    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    return response.status_code


async def test_refresh_rotates_and_retires_the_old_token(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    first = await login(client)
    status, second = await refresh(client, first["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bearer"
    assert await me_status(client, second["access_token"]) == 200
    status, _ = await refresh(client, second["refresh_token"])
    assert status == 200


async def test_reusing_a_retired_token_revokes_the_family(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    first = await login(client)
    _, second = await refresh(client, first["refresh_token"])
    other_device = await login(client)
    status, body = await refresh(client, first["refresh_token"])
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    # The thief's (or victim's) newer token died with its family...
    status, _ = await refresh(client, second["refresh_token"])
    assert status == 401
    # ...while another login's family lives on.
    status, _ = await refresh(client, other_device["refresh_token"])
    assert status == 200


async def test_parallel_refreshes_of_one_token_let_one_through(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    first = await login(client)
    results = await asyncio.gather(*(refresh(client, first["refresh_token"]) for _ in range(5)))
    assert sorted(status for status, _ in results) == [200, 401, 401, 401, 401]


async def test_anything_but_a_live_refresh_token_cannot_refresh(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    session_secret = await create_session(user=alice, days=30)
    access_token = (await login(client))["access_token"]
    for token in ("pr_nonsense", "garbage", session_secret, access_token, "x" * 5000, ""):
        status, body = await refresh(client, token)
        assert status == 401, token
        assert body["error"]["code"] == "unauthorized"
        assert body["error"]["details"] == {"reason": "invalid_token"}
        assert "refresh token" in body["error"]["message"]
    # A body without the field at all is still malformed input.
    missing = await client.post("/api/v1/auth/refresh", json={})
    assert missing.status_code == 422


async def test_refresh_token_expires_by_the_clock(make_user: MakeUser) -> None:
    alice = await make_user("alice")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    pair = await tokens.issue_pair(
        user=alice, now=start, secret=SECRET, access_minutes=30, refresh_days=30
    )
    with pytest.raises(AppError) as expired:
        await tokens.rotate_refresh_token(
            raw=pair.refresh_token,
            now=start + timedelta(days=31),
            secret=SECRET,
            access_minutes=30,
            refresh_days=30,
        )
    assert expired.value.status == 401
    pair = await tokens.issue_pair(
        user=alice, now=start, secret=SECRET, access_minutes=30, refresh_days=30
    )
    fresh = await tokens.rotate_refresh_token(
        raw=pair.refresh_token,
        now=start + timedelta(days=29),
        secret=SECRET,
        access_minutes=30,
        refresh_days=30,
    )
    assert fresh.refresh_token != pair.refresh_token


async def test_access_token_expiry_follows_the_clock(make_user: MakeUser) -> None:
    alice = await make_user("alice")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    token, _ = tokens.create_access_token(user=alice, now=start, secret=SECRET, access_minutes=30)
    user = await tokens.user_for_access_token(
        token=token, now=start + timedelta(minutes=29), secret=SECRET
    )
    assert user.id == alice.id
    with pytest.raises(AppError) as expired:
        await tokens.user_for_access_token(
            token=token, now=start + timedelta(minutes=30), secret=SECRET
        )
    assert expired.value.message == "Token expired"


async def test_token_signed_with_another_key_or_audience_is_refused(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    import jwt

    alice = await make_user("alice")
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(alice.id), "iat": now, "exp": now + 600, "jti": "x"}
    forged = jwt.encode({**claims, "iss": "paddock", "aud": "paddock-api"}, "another-key-" * 4)
    assert await me_status(client, forged) == 401
    from webapp.settings import get_settings

    key = get_settings().signing_key()
    wrong_aud = jwt.encode({**claims, "iss": "paddock", "aud": "elsewhere"}, key)
    assert await me_status(client, wrong_aud) == 401
    right = jwt.encode({**claims, "iss": "paddock", "aud": "paddock-api"}, key)
    assert await me_status(client, right) == 200


async def test_logout_revokes_the_refresh_token(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    pair = await login(client)
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}
    )
    assert response.status_code == 204
    status, _ = await refresh(client, pair["refresh_token"])
    assert status == 401
    again = await client.post("/api/v1/auth/logout", json={"refresh_token": "pr_unknown"})
    assert again.status_code == 204
    # An access token is no refresh token either: nothing to revoke, nothing refused.
    wrong_kind = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": pair["access_token"]}
    )
    assert wrong_kind.status_code == 204
    missing = await client.post("/api/v1/auth/logout", json={})
    assert missing.status_code == 422


async def test_logout_revokes_the_access_tokens_of_its_family(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    first = await login(client)
    _, rotated = await refresh(client, first["refresh_token"])
    other_device = await login(client)
    assert await me_status(client, rotated["access_token"]) == 200
    response = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}
    )
    assert response.status_code == 204
    # Both access tokens the logged-out family issued stop working at once...
    assert await me_status(client, first["access_token"]) == 401
    assert await me_status(client, rotated["access_token"]) == 401
    # ...while another login of the same user keeps its own.
    assert await me_status(client, other_device["access_token"]) == 200


async def test_a_family_revoked_for_reuse_loses_its_access_tokens(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    first = await login(client)
    _, thief = await refresh(client, first["refresh_token"])
    assert await me_status(client, thief["access_token"]) == 200
    status, _ = await refresh(client, first["refresh_token"])
    assert status == 401
    response = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {thief['access_token']}"}
    )
    assert response.status_code == 401
    assert (await response.get_json())["error"]["message"] == "Token revoked"


async def test_password_change_invalidates_older_tokens(
    client: TestClientProtocol, make_user: MakeUser
) -> None:
    await make_user("alice")
    old = await login(client)
    response = await client.patch(
        "/api/v1/users/me",
        json={"password": "a brand new secret", "current_password": PASSWORD},
        headers={"Authorization": f"Bearer {old['access_token']}"},
    )
    assert response.status_code == 200
    assert await me_status(client, old["access_token"]) == 401
    status, _ = await refresh(client, old["refresh_token"])
    assert status == 401
    assert await RefreshToken.filter(revoked_at=None).count() == 0
    new = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "a brand new secret"}
    )
    assert new.status_code == 200
    assert await me_status(client, (await new.get_json())["access_token"]) == 200
    old_password = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert old_password.status_code == 401


async def test_cutoff_is_exact_with_an_injected_clock(make_user: MakeUser) -> None:
    from webapp.auth.users import update_profile

    alice = await make_user("alice")
    change = datetime(2030, 1, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    before, _ = tokens.create_access_token(
        user=alice, now=change - timedelta(milliseconds=100), secret=SECRET, access_minutes=30
    )
    await update_profile(
        user=alice, password="a brand new secret", current_password=PASSWORD, now=change
    )
    after, _ = tokens.create_access_token(
        user=alice, now=change + timedelta(milliseconds=100), secret=SECRET, access_minutes=30
    )
    check_at = change + timedelta(minutes=1)
    with pytest.raises(AppError):
        await tokens.user_for_access_token(token=before, now=check_at, secret=SECRET)
    assert (
        await tokens.user_for_access_token(token=after, now=check_at, secret=SECRET)
    ).id == alice.id

"""Rate limits: atomic under parallel bursts, 429 with Retry-After, trusted proxies only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from quart import Quart
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from webapp.app import create_app
from webapp.auth.ratelimit import client_address, hit
from webapp.models import User
from webapp.settings import Settings

MakeUser = Callable[..., Awaitable[User]]
PASSWORD = "correct horse battery"


@asynccontextmanager
async def app_with(settings: Settings, **changes: object) -> AsyncIterator[Quart]:
    app = create_app(settings.model_copy(update=changes))
    async with app.test_app():
        yield app


def peer(address: str) -> dict:
    return {"client": (address, 40000)}


async def test_parallel_login_burst_lets_exactly_the_limit_through(
    migrated: Settings, db: None, redis: Redis, make_user: MakeUser
) -> None:
    await make_user("alice")
    async with app_with(migrated, rate_limit_login="10/minute") as app:
        client = app.test_client()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/login",
                    json={"username": "alice", "password": PASSWORD},
                    scope_base=peer("203.0.113.7"),
                )
                for _ in range(30)
            )
        )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20
    limited = next(r for r in responses if r.status_code == 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (await limited.get_json())["error"]["code"] == "rate_limited"


async def test_account_limit_holds_across_addresses_and_names(
    migrated: Settings, db: None, redis: Redis, make_user: MakeUser
) -> None:
    await make_user("alice")
    async with app_with(migrated, rate_limit_login="3/minute") as app:
        client = app.test_client()
        names = ["alice", "ALICE", "alice@example.com", "Alice@Example.com"]
        statuses = []
        for i, name in enumerate(names):
            response = await client.post(
                "/api/v1/auth/login",
                json={"username": name, "password": "wrong password!"},
                scope_base=peer(f"198.51.100.{i}"),
            )
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401, 429]
        # Another account from a fresh address is not affected.
        await make_user("bob")
        other = await client.post(
            "/api/v1/auth/login",
            json={"username": "bob", "password": PASSWORD},
            scope_base=peer("198.51.100.99"),
        )
        assert other.status_code == 200


async def test_login_page_is_limited_too(
    migrated: Settings,
    db: None,
    redis: Redis,
    make_user: MakeUser,
    csrf_token_for: Callable[[TestClientProtocol], Awaitable[str]],
) -> None:
    await make_user("alice")
    async with app_with(migrated, rate_limit_login="2/minute") as app:
        client = app.test_client()
        for expected in (422, 422, 429):
            response = await client.post(
                "/login",
                form={
                    "username": "alice",
                    "password": "nope nope nope",
                    "csrf_token": await csrf_token_for(client),
                },
            )
            assert response.status_code == expected
        assert "Retry-After" in response.headers
        assert "Too many requests" in (await response.get_data()).decode()


async def test_parallel_register_burst_per_address(
    migrated: Settings, db: None, redis: Redis
) -> None:
    async with app_with(migrated, rate_limit_register="5/hour") as app:
        client = app.test_client()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/register",
                    json={
                        "email": f"u{i}@example.com",
                        "username": f"user{i}",
                        "password": PASSWORD,
                    },
                    scope_base=peer("192.0.2.1"),
                )
                for i in range(12)
            )
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 5
        assert statuses.count(429) == 7
        assert await User.all().count() == 5
        limited = next(r for r in responses if r.status_code == 429)
        assert 3000 < int(limited.headers["Retry-After"]) <= 3600
        elsewhere = await client.post(
            "/api/v1/auth/register",
            json={"email": "z@example.com", "username": "zed", "password": PASSWORD},
            scope_base=peer("192.0.2.2"),
        )
        assert elsewhere.status_code == 201


async def test_general_api_limit_per_user_and_per_address(
    migrated: Settings,
    db: None,
    redis: Redis,
    make_user: MakeUser,
    auth_headers: Callable[[User], dict[str, str]],
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    async with app_with(migrated, rate_limit_api="5/minute") as app:
        client = app.test_client()

        async def me(user: User) -> int:
            response = await client.get(
                "/api/v1/users/me", headers=auth_headers(user), scope_base=peer("192.0.2.9")
            )
            return response.status_code

        statuses = await asyncio.gather(*(me(alice) for _ in range(8)))
        assert sorted(statuses) == [200] * 5 + [429] * 3
        # The same address, another user: counted separately.
        assert await me(bob) == 200
        anonymous = [
            (await client.get("/api/v1/users/me", scope_base=peer("192.0.2.10"))).status_code
            for _ in range(6)
        ]
        assert anonymous == [401] * 5 + [429]


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    migrated: Settings, db: None, redis: Redis, make_user: MakeUser
) -> None:
    await make_user("alice")
    async with app_with(
        migrated, rate_limit_login="1/minute", trusted_proxies=["10.0.0.0/8"]
    ) as app:
        client = app.test_client()

        async def attempt(address: str, forwarded: str, name: str) -> int:
            response = await client.post(
                "/api/v1/auth/login",
                json={"username": name, "password": "wrong password!"},
                headers={"X-Forwarded-For": forwarded},
                scope_base=peer(address),
            )
            return response.status_code

        # Behind the trusted proxy, each forwarded client has its own budget.
        assert await attempt("10.1.1.1", "203.0.113.1", "u1") == 401
        assert await attempt("10.1.1.1", "203.0.113.2", "u2") == 401
        assert await attempt("10.1.1.1", "203.0.113.1", "u3") == 429
        # From an untrusted peer the header is ignored: the peer's address counts.
        assert await attempt("198.51.100.5", "203.0.113.3", "u4") == 401
        assert await attempt("198.51.100.5", "203.0.113.4", "u5") == 429


def test_client_address_walks_back_through_trusted_hops() -> None:
    trusted = ["10.0.0.0/8", "192.168.1.1"]
    assert client_address(peer="10.0.0.1", forwarded_for="1.2.3.4", trusted=trusted) == "1.2.3.4"
    assert (
        client_address(
            peer="10.0.0.1", forwarded_for="6.6.6.6, 1.2.3.4, 192.168.1.1", trusted=trusted
        )
        == "1.2.3.4"
    )
    assert client_address(peer="8.8.8.8", forwarded_for="1.2.3.4", trusted=trusted) == "8.8.8.8"
    assert client_address(peer="10.0.0.1", forwarded_for=None, trusted=trusted) == "10.0.0.1"
    assert client_address(peer="10.0.0.1", forwarded_for="1.2.3.4", trusted=[]) == "10.0.0.1"


async def test_hit_counts_every_key_and_reports_the_longest_wait(redis: Redis) -> None:
    assert await hit(redis=redis, keys=["a", "b"], rate="2/minute") == 0
    assert await hit(redis=redis, keys=["a"], rate="2/minute") == 0
    assert await hit(redis=redis, keys=["a", "b"], rate="2/minute") == 60
    assert await redis.ttl("rl:b") > 0

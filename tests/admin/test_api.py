"""Admin fixes to drivers and races, and who may make them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Constructor, Driver, Race, RaceStatus, User

Headers = Callable[[User], dict[str, str]]
MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
async def admin(make_user: MakeUser, season: int) -> User:
    return await make_user("root", is_admin=True)


@pytest.fixture
async def player(make_user: MakeUser, season: int) -> User:
    return await make_user("player")


async def patch(
    client: TestClientProtocol, url: str, user: User | None, auth: Headers, body: Any
) -> tuple[int, Any]:
    response = await client.patch(f"/api/v1{url}", json=body, headers=auth(user) if user else {})
    return response.status_code, await response.get_json()


async def test_only_admins_may_patch(
    client: TestClientProtocol, player: User, auth_headers: Headers, season: int
) -> None:
    driver = await Driver.get(season_id=season, ref="albon")
    race = await Race.get(season_id=season, round=1)
    for url, body in (
        (f"/admin/drivers/{driver.id}", {"price": 50}),
        (f"/admin/races/{race.id}", {"status": "cancelled"}),
        (f"/admin/races/{race.id}", {"status": "not-a-status"}),
    ):
        status, answer = await patch(client, url, player, auth_headers, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden")
        status, answer = await patch(client, url, None, auth_headers, body)
        assert (status, answer["error"]["code"]) == (401, "unauthorized")
    assert (await Driver.get(id=driver.id)).price == driver.price
    assert (await Race.get(id=race.id)).status == RaceStatus.SCHEDULED


async def test_change_price_and_constructor(
    client: TestClientProtocol, admin: User, auth_headers: Headers, season: int
) -> None:
    driver = await Driver.get(season_id=season, ref="albon")
    ferrari = await Constructor.get(season_id=season, ref="ferrari")
    status, body = await patch(
        client,
        f"/admin/drivers/{driver.id}",
        admin,
        auth_headers,
        {"price": 27.5, "constructor_id": ferrari.id},
    )
    assert status == 200, body
    assert body["price"] == 27.5
    assert body["constructor"] == {"id": ferrari.id, "ref": "ferrari", "name": ferrari.name}
    listed = await (await client.get("/api/v1/drivers")).get_json()
    assert next(d for d in listed["items"] if d["id"] == driver.id)["price"] == 27.5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 0}, "price"),
        ({"price": -3}, "price"),
        ({"price": 12.34}, "price"),
        ({"price": 100000}, "price"),
        ({"constructor_id": 99999}, "constructor_id"),
        ({"ref": "renamed"}, "ref"),
    ],
)
async def test_bad_driver_patches_change_nothing(
    client: TestClientProtocol,
    admin: User,
    auth_headers: Headers,
    season: int,
    body: dict[str, Any],
    field: str,
) -> None:
    driver = await Driver.get(season_id=season, ref="albon")
    status, answer = await patch(client, f"/admin/drivers/{driver.id}", admin, auth_headers, body)
    assert (status, answer["error"]["code"]) == (422, "validation_error")
    assert field in answer["error"]["details"]["fields"]
    assert (await Driver.get(id=driver.id)).price == driver.price
    status, _ = await patch(client, "/admin/drivers/99999", admin, auth_headers, {"price": 5})
    assert status == 404


async def test_reschedule_moves_the_deadline_shown_on_pages(
    app: Quart, client: TestClientProtocol, admin: User, auth_headers: Headers, season: int
) -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    app.config["CLOCK"] = lambda: now
    race = await Race.get(season_id=season, round=1)
    home = (await (await client.get("/leagues")).get_data()).decode()
    assert "Australian Grand Prix" in home and "Sat 15 Mar, 05:00" in home
    lock = datetime(2025, 3, 14, 6, 30, tzinfo=UTC)
    status, body = await patch(
        client,
        f"/admin/races/{race.id}",
        admin,
        auth_headers,
        {"lock_at": "2025-03-14T06:30:00Z", "starts_at": "2025-03-16T05:00:00Z"},
    )
    assert status == 200, body
    assert body["lock_at"] == "2025-03-14T06:30:00Z" and body["starts_at"] == "2025-03-16T05:00:00Z"
    assert (await Race.get(id=race.id)).lock_at == lock
    page = (await (await client.get("/leagues")).get_data()).decode()
    assert "Fri 14 Mar, 06:30" in page


async def test_cancel_reopen_and_unlock(
    app: Quart, client: TestClientProtocol, admin: User, auth_headers: Headers, season: int
) -> None:
    race = await Race.get(season_id=season, round=1)
    app.config["CLOCK"] = lambda: race.lock_at - timedelta(days=1)
    url = f"/admin/races/{race.id}"
    status, body = await patch(client, url, admin, auth_headers, {"status": "cancelled"})
    assert (status, body["status"]) == (200, "cancelled")
    status, body = await patch(client, url, admin, auth_headers, {"status": "final"})
    assert (status, body["error"]["code"]) == (422, "validation_error")
    status, body = await patch(client, url, admin, auth_headers, {"status": "scheduled"})
    assert (status, body["status"]) == (200, "scheduled")
    await Race.filter(id=race.id).update(status=RaceStatus.FINAL)
    status, body = await patch(client, url, admin, auth_headers, {"status": "provisional"})
    assert (status, body["status"]) == (200, "provisional")
    # A locked race whose deadline moves into the future opens again for edits.
    await Race.filter(id=race.id).update(status=RaceStatus.LOCKED)
    later = (race.lock_at + timedelta(hours=2)).isoformat()
    status, body = await patch(client, url, admin, auth_headers, {"lock_at": later})
    assert (status, body["status"]) == (200, "scheduled")
    status, body = await patch(
        client, url, admin, auth_headers, {"lock_at": "2025-04-01T00:00:00Z"}
    )
    assert (status, body["error"]["details"]["fields"]) == (
        422,
        {"lock_at": "Lineups must lock no later than the race starts"},
    )
    status, body = await patch(client, url, admin, auth_headers, {"lock_at": "2025-03-14T06:30"})
    assert (status, body["error"]["code"]) == (422, "validation_error")


async def test_change_a_constructor_price(
    client: TestClientProtocol, admin: User, player: User, auth_headers: Headers, season: int
) -> None:
    ferrari = await Constructor.get(season_id=season, ref="ferrari")
    url = f"/admin/constructors/{ferrari.id}"
    status, answer = await patch(client, url, player, auth_headers, {"price": 20})
    assert (status, answer["error"]["code"]) == (403, "forbidden")

    status, body = await patch(client, url, admin, auth_headers, {"price": 21.5})

    assert status == 200, body
    assert (body["id"], body["ref"], body["price"]) == (ferrari.id, "ferrari", 21.5)
    listed = await (await client.get("/api/v1/constructors")).get_json()
    assert next(c for c in listed["items"] if c["id"] == ferrari.id)["price"] == 21.5


@pytest.mark.parametrize(
    "body",
    [{"price": 0}, {"price": -1}, {"price": 9.99}, {"price": 100000}, {}, {"name": "Scuderia"}],
)
async def test_bad_constructor_patches_change_nothing(
    client: TestClientProtocol, admin: User, auth_headers: Headers, season: int, body: Any
) -> None:
    ferrari = await Constructor.get(season_id=season, ref="ferrari")
    url = f"/admin/constructors/{ferrari.id}"
    status, answer = await patch(client, url, admin, auth_headers, body)
    assert (status, answer["error"]["code"]) == (422, "validation_error")
    assert set(answer["error"]["details"]["fields"]) & {"price", "name"}
    assert (await Constructor.get(id=ferrari.id)).price == ferrari.price
    status, _ = await patch(client, "/admin/constructors/99999", admin, auth_headers, {"price": 5})
    assert status == 404

"""The teams API: every rule and error code as a client sees it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Lineup, Race, Team, User
from webapp.teams.locks import lineup_for_race

Headers = Callable[[User], dict[str, str]]
MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
async def alice(make_user: MakeUser, season: int) -> User:
    return await make_user("alice")


@pytest.fixture
async def bob(make_user: MakeUser, season: int) -> User:
    return await make_user("bob")


async def post_team(
    client: TestClientProtocol, headers: dict[str, str], **body: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/v1/teams", json=body, headers=headers)
    return response.status_code, await response.get_json()


async def test_create_and_read_a_team(
    client: TestClientProtocol,
    alice: User,
    bob: User,
    auth_headers: Headers,
    cheap: list[int],
    refs: dict[str, int],
) -> None:
    status, body = await post_team(
        client, auth_headers(alice), name="Backmarkers", driver_ids=cheap, captain_id=cheap[1]
    )
    assert status == 201, body
    assert body["name"] == "Backmarkers" and body["season"] == 2025 and body["points"] == 0
    assert body["owner"] == {"id": alice.id, "username": "alice"}
    assert body["captain_id"] == cheap[1]
    assert body["budget_used"] == 42.0 and body["budget_left"] == 58.0
    assert {d["id"] for d in body["drivers"]} == set(cheap)
    albon = next(d for d in body["drivers"] if d["id"] == refs["albon"])
    assert albon == {
        "id": refs["albon"],
        "ref": "albon",
        "code": "ALB",
        "first_name": "Alexander",
        "last_name": "Albon",
        "constructor": albon["constructor"],
        "price": 7.2,
    }
    assert albon["constructor"]["ref"] == "williams"

    url = f"/api/v1/teams/{body['id']}"
    owner_view = await (await client.get(url, headers=auth_headers(alice))).get_json()
    assert owner_view == body
    for headers in (auth_headers(bob), {}):
        other = await client.get(url, headers=headers)
        seen = await other.get_json()
        assert other.status_code == 200
        assert seen["name"] == "Backmarkers" and seen["owner"]["username"] == "alice"
        assert not {"drivers", "captain_id", "budget_used", "budget_left"} & seen.keys()
    mine = await (
        await client.get("/api/v1/users/me/teams", headers=auth_headers(alice))
    ).get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == body["id"]
    theirs = await (
        await client.get("/api/v1/users/me/teams", headers=auth_headers(bob))
    ).get_json()
    assert theirs == {"items": [], "total": 0}
    assert (await client.get("/api/v1/teams/9999")).status_code == 404


RULES = [
    # (picked refs, captain ref, code, message fragment)
    (["bortoleto", "albon", "hadjar", "lawson"], "albon", "wrong_driver_count", "4 picked"),
    (
        ["bortoleto", "albon", "albon", "lawson", "doohan"],
        "albon",
        "duplicate_driver",
        "Alexander Albon picked more than once",
    ),
    (["bortoleto", "albon", "hadjar", "lawson", None], "albon", "unknown_driver", "99999"),
    (
        ["max_verstappen", "norris", "leclerc", "russell", "albon"],
        "albon",
        "over_budget",
        "Lineup costs 117.6, budget is 100.0",
    ),
    (
        ["gasly", "doohan", "colapinto", "albon", "lawson"],
        "albon",
        "too_many_from_constructor",
        "3 drivers from Alpine F1 Team; at most 2",
    ),
    (
        ["bortoleto", "albon", "hadjar", "lawson", "doohan"],
        "ocon",
        "captain_not_in_team",
        "must be one of the picked drivers",
    ),
    # Breaks every rule at once: the contract's precedence picks unknown_driver.
    (
        ["max_verstappen", "max_verstappen", "norris", "leclerc", "piastri", "russell", None],
        "ocon",
        "unknown_driver",
        "99999",
    ),
]


@pytest.mark.parametrize(("picked", "captain", "code", "fragment"), RULES)
async def test_each_rule_is_refused_with_its_code(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    refs: dict[str, int],
    picked: list[str | None],
    captain: str,
    code: str,
    fragment: str,
) -> None:
    ids = [refs[r] if r else 99999 for r in picked]
    status, body = await post_team(
        client, auth_headers(alice), name="Rulebreakers", driver_ids=ids, captain_id=refs[captain]
    )
    assert status == 422
    assert body["error"]["code"] == code
    assert fragment in body["error"]["message"]
    assert await Team.all().count() == 0


async def test_the_team_limit(
    client: TestClientProtocol, alice: User, auth_headers: Headers, cheap: list[int]
) -> None:
    for n in range(3):
        status, _ = await post_team(
            client, auth_headers(alice), name=f"Team {n}", driver_ids=cheap, captain_id=cheap[0]
        )
        assert status == 201
    status, body = await post_team(
        client, auth_headers(alice), name="One too many", driver_ids=cheap, captain_id=cheap[0]
    )
    assert (status, body["error"]["code"]) == (422, "team_limit_reached")
    assert body["error"]["message"] == "You already have 3 teams this season; the limit is 3"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "ab"}, "name"),
        ({"captain_id": None}, "captain_id"),
        ({"driver_ids": "1,2,3"}, "driver_ids"),
        ({"season": 2024}, "season"),
    ],
)
async def test_malformed_bodies_name_the_field(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    body: dict[str, Any],
    field: str,
) -> None:
    full = {"name": "Valid", "driver_ids": cheap, "captain_id": cheap[0]} | body
    status, answer = await post_team(client, auth_headers(alice), **full)
    assert status == 422 and answer["error"]["code"] == "validation_error"
    assert field in answer["error"]["details"]["fields"]


async def test_edits_are_for_the_owner_only(
    client: TestClientProtocol, alice: User, bob: User, auth_headers: Headers, cheap: list[int]
) -> None:
    _, team = await post_team(
        client, auth_headers(alice), name="Private", driver_ids=cheap, captain_id=cheap[0]
    )
    url = f"/api/v1/teams/{team['id']}"
    response = await client.put(url, json={"name": "Hijacked"}, headers=auth_headers(bob))
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "forbidden"
    response = await client.put(url, json={"name": "Hijacked"})
    assert response.status_code == 401
    assert (await Team.get(id=team["id"])).name == "Private"


async def test_edit_lineup_and_name(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    refs: dict[str, int],
) -> None:
    _, team = await post_team(
        client, auth_headers(alice), name="Before", driver_ids=cheap, captain_id=cheap[0]
    )
    url = f"/api/v1/teams/{team['id']}"
    new_ids = [*cheap[:4], refs["ocon"]]
    response = await client.put(
        url,
        json={"name": "After", "driver_ids": new_ids, "captain_id": refs["ocon"]},
        headers=auth_headers(alice),
    )
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["name"] == "After" and body["captain_id"] == refs["ocon"]
    assert body["budget_used"] == 42.0 - 10.8 + 15.6
    # A broken rule changes nothing, not even the name sent alongside.
    response = await client.put(
        url, json={"name": "Broken", "captain_id": refs["norris"]}, headers=auth_headers(alice)
    )
    assert (await response.get_json())["error"]["code"] == "captain_not_in_team"
    after = await (await client.get(url, headers=auth_headers(alice))).get_json()
    assert after == body
    assert await Lineup.filter(team_id=team["id"]).count() == 2


async def test_saves_count_by_the_app_clock(
    app: Quart,
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    season: int,
) -> None:
    first = await Race.get(season_id=season, round=1)
    second = await Race.get(season_id=season, round=2)
    app.config["CLOCK"] = lambda: first.lock_at - timedelta(hours=1)
    _, team = await post_team(
        client, auth_headers(alice), name="On Time", driver_ids=cheap, captain_id=cheap[0]
    )
    app.config["CLOCK"] = lambda: first.lock_at + timedelta(minutes=5)
    response = await client.put(
        f"/api/v1/teams/{team['id']}", json={"captain_id": cheap[2]}, headers=auth_headers(alice)
    )
    assert response.status_code == 200  # edits are allowed at any time...
    saved = await Team.get(id=team["id"])
    one, two = (
        await lineup_for_race(team=saved, race=first),
        await lineup_for_race(team=saved, race=second),
    )
    # ...but one saved after the lock counts from the next race.
    assert one is not None and one.captain_id == cheap[0]  # type: ignore[attr-defined]
    assert two is not None and two.captain_id == cheap[2]  # type: ignore[attr-defined]


@pytest.mark.parametrize("repeat", range(5))
async def test_parallel_requests_keep_the_rules(
    repeat: int,
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    refs: dict[str, int],
) -> None:
    headers = auth_headers(alice)
    _, team = await post_team(
        client, headers, name="Parallel", driver_ids=cheap, captain_id=cheap[0]
    )
    url = f"/api/v1/teams/{team['id']}"
    edits = await asyncio.gather(
        client.put(url, json={"driver_ids": [*cheap[:4], refs["ocon"]]}, headers=headers),
        client.put(url, json={"captain_id": cheap[4]}, headers=headers),
    )
    assert sorted(r.status_code for r in edits) == [200, 422]
    final = await (await client.get(url, headers=headers)).get_json()
    assert final["captain_id"] in {d["id"] for d in final["drivers"]}
    creations = await asyncio.gather(
        *(
            client.post(
                "/api/v1/teams",
                headers=headers,
                json={"name": f"Rush {n}", "driver_ids": cheap, "captain_id": cheap[0]},
            )
            for n in range(4)
        )
    )
    assert sorted(r.status_code for r in creations) == [201, 201, 422, 422]
    assert await Team.filter(owner_id=alice.id).count() == 3


async def test_ids_beyond_the_database_range_are_not_found(
    client: TestClientProtocol, alice: User, auth_headers: Headers
) -> None:
    huge = 2**40
    for url in (
        f"/api/v1/teams/{huge}",
        f"/api/v1/leagues/{huge}",
        f"/teams/{huge}",
        f"/leagues/{huge}",
    ):
        assert (await client.get(url, headers=auth_headers(alice))).status_code == 404, url
    response = await client.post(
        "/api/v1/leagues/join",
        json={"invite_code": "ABCDEFGH", "team_id": huge},
        headers=auth_headers(alice),
    )
    assert response.status_code == 422
    assert "team_id" in (await response.get_json())["error"]["details"]["fields"]
    response = await client.post(
        "/api/v1/teams",
        json={"name": "Huge", "driver_ids": [huge] * 5, "captain_id": huge},
        headers=auth_headers(alice),
    )
    assert (await response.get_json())["error"]["code"] == "unknown_driver"


async def test_the_team_limit_is_the_configured_one(
    app: Quart, client: TestClientProtocol, alice: User, auth_headers: Headers, cheap: list[int]
) -> None:
    app.config["SETTINGS"] = app.config["SETTINGS"].model_copy(update={"max_teams_per_season": 1})
    status, _ = await post_team(
        client, auth_headers(alice), name="Only", driver_ids=cheap, captain_id=cheap[0]
    )
    assert status == 201
    status, body = await post_team(
        client, auth_headers(alice), name="Second", driver_ids=cheap, captain_id=cheap[0]
    )
    assert (status, body["error"]["code"]) == (422, "team_limit_reached")
    assert body["error"]["message"] == "You already have 1 teams this season; the limit is 1"

"""The leagues API as clients see it: codes, visibility, owner rules, parallel joins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from quart.typing import TestClientProtocol

from webapp.models import LeagueMember, Team, User

Headers = Callable[[User], dict[str, str]]
MakeTeam = Callable[..., Awaitable[Team]]


async def call(
    client: TestClientProtocol,
    method: str,
    url: str,
    user: User | None,
    auth: Headers,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = auth(user) if user else {}
    response = await getattr(client, method)(f"/api/v1{url}", json=body, headers=headers)
    text = await response.get_data()
    return response.status_code, (await response.get_json()) if text else None


async def owner(team: Team) -> User:
    return await User.get(id=team.owner_id)  # type: ignore[attr-defined]


async def test_create_read_and_list(
    client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    team = await make_team()
    me = await owner(team)
    status, league = await call(
        client,
        "post",
        "/leagues",
        me,
        auth_headers,
        {"name": "Friday Five", "is_public": False, "team_id": team.id, "max_teams": 5},
    )
    assert status == 201, league
    assert league == {
        "id": league["id"],
        "name": "Friday Five",
        "season": 2025,
        "game": "classic",
        "is_public": False,
        "invite_code": league["invite_code"],
        "owner": {"id": me.id, "username": me.username},
        "max_teams": 5,
        "team_count": 1,
    }
    assert len(league["invite_code"]) == 8
    status, mine = await call(client, "get", "/users/me/leagues", me, auth_headers)
    assert status == 200 and mine["total"] == 1 and mine["items"][0] == league
    status, again = await call(client, "get", f"/leagues/{league['id']}", me, auth_headers)
    assert again == league


async def test_private_leagues_are_invisible_to_outsiders(
    client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    team, outsider_team = await make_team(), await make_team()
    me, outsider = await owner(team), await owner(outsider_team)
    _, league = await call(
        client,
        "post",
        "/leagues",
        me,
        auth_headers,
        {"name": "Inner Circle", "is_public": False, "team_id": team.id},
    )
    url = f"/leagues/{league['id']}"
    for viewer in (outsider, None):
        status, body = await call(client, "get", url, viewer, auth_headers)
        assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await call(
        client, "post", f"{url}/join", outsider, auth_headers, {"team_id": outsider_team.id}
    )
    assert status == 404
    status, found = await call(client, "get", "/leagues?q=inner", None, auth_headers)
    assert found == {"items": [], "total": 0}


async def test_join_by_code_and_public_join(
    client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    host, friend, stranger = await make_team(), await make_team(), await make_team()
    host_user, friend_user, stranger_user = (
        await owner(host),
        await owner(friend),
        await owner(stranger),
    )
    _, private = await call(
        client,
        "post",
        "/leagues",
        host_user,
        auth_headers,
        {"name": "Mates", "is_public": False, "team_id": host.id, "max_teams": 2},
    )
    code = private["invite_code"]
    status, joined = await call(
        client,
        "post",
        "/leagues/join",
        friend_user,
        auth_headers,
        {"invite_code": code.lower(), "team_id": friend.id},
    )
    assert status == 200 and joined["team_count"] == 2 and joined["invite_code"] == code
    checks = [
        (friend_user, {"invite_code": code, "team_id": friend.id}, 409, "already_member"),
        (stranger_user, {"invite_code": code, "team_id": stranger.id}, 422, "league_full"),
        (
            stranger_user,
            {"invite_code": "NOPE2345", "team_id": stranger.id},
            422,
            "invalid_invite_code",
        ),
        (stranger_user, {"invite_code": code, "team_id": host.id}, 403, "forbidden"),
    ]
    for user, body, status_code, error_code in checks:
        status, answer = await call(client, "post", "/leagues/join", user, auth_headers, body)
        assert (status, answer["error"]["code"]) == (status_code, error_code)

    _, public = await call(
        client,
        "post",
        "/leagues",
        host_user,
        auth_headers,
        {"name": "Open Grid", "is_public": True, "team_id": host.id},
    )
    status, seen = await call(client, "get", f"/leagues/{public['id']}", None, auth_headers)
    assert status == 200 and seen["invite_code"] is None
    status, found = await call(client, "get", "/leagues?q=GRID&limit=500", None, auth_headers)
    assert found["total"] == 1 and found["items"][0]["id"] == public["id"]
    status, joined = await call(
        client,
        "post",
        f"/leagues/{public['id']}/join",
        stranger_user,
        auth_headers,
        {"team_id": stranger.id},
    )
    assert status == 200 and joined["team_count"] == 2 and joined["invite_code"]
    status, body = await call(
        client,
        "post",
        f"/leagues/{public['id']}/join",
        None,
        auth_headers,
        {"team_id": stranger.id},
    )
    assert status == 401


async def test_leave_remove_and_owner_rules(
    client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    host, guest = await make_team(), await make_team()
    host_user, guest_user = await owner(host), await owner(guest)
    _, league = await call(
        client,
        "post",
        "/leagues",
        host_user,
        auth_headers,
        {"name": "Short Lived", "is_public": True, "team_id": host.id},
    )
    base = f"/leagues/{league['id']}"
    await call(client, "post", f"{base}/join", guest_user, auth_headers, {"team_id": guest.id})
    status, body = await call(client, "delete", f"{base}/teams/{host.id}", host_user, auth_headers)
    assert (status, body["error"]["code"]) == (409, "owner_cannot_leave")
    status, body = await call(client, "delete", f"{base}/teams/{host.id}", guest_user, auth_headers)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, _ = await call(client, "delete", f"{base}/teams/{guest.id}", guest_user, auth_headers)
    assert status == 204
    await call(client, "post", f"{base}/join", guest_user, auth_headers, {"team_id": guest.id})
    status, _ = await call(client, "delete", f"{base}/teams/{guest.id}", host_user, auth_headers)
    assert status == 204
    status, _ = await call(client, "delete", f"{base}/teams/{host.id}", host_user, auth_headers)
    assert status == 204
    status, _ = await call(client, "get", base, host_user, auth_headers)
    assert status == 404


async def test_bad_input_is_a_validation_error(
    client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    team = await make_team()
    me = await owner(team)
    for body, field in (
        ({"name": "x", "is_public": True, "team_id": team.id}, "name"),
        ({"name": "Fine", "is_public": True, "team_id": team.id, "max_teams": 1}, "max_teams"),
        ({"name": "Fine", "team_id": team.id}, "is_public"),
    ):
        status, answer = await call(client, "post", "/leagues", me, auth_headers, body)
        assert (status, answer["error"]["code"]) == (422, "validation_error")
        assert field in answer["error"]["details"]["fields"]


@pytest.mark.parametrize("repeat", range(5))
async def test_parallel_joins_for_the_last_place(
    repeat: int, client: TestClientProtocol, make_team: MakeTeam, auth_headers: Headers
) -> None:
    host = await make_team()
    _, league = await call(
        client,
        "post",
        "/leagues",
        await owner(host),
        auth_headers,
        {"name": "Last Seat", "is_public": True, "team_id": host.id, "max_teams": 2},
    )
    racers = [await make_team() for _ in range(6)]
    users = [await owner(t) for t in racers]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/leagues/{league['id']}/join",
                json={"team_id": t.id},
                headers=auth_headers(u),
            )
            for t, u in zip(racers, users, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [422] * 5
    assert await LeagueMember.filter(league_id=league["id"]).count() == 2

"""Leagues of a game: created for one game, joined only by teams of that game."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart.typing import TestClientProtocol

from webapp.models import League, LeagueMember, Team, User

Headers = Callable[[User], dict[str, str]]
MakeTeam = Callable[..., Awaitable[Team]]


async def call(
    client: TestClientProtocol, url: str, user: User, auth: Headers, body: dict[str, Any]
) -> tuple[int, Any]:
    response = await client.post(f"/api/v1{url}", json=body, headers=auth(user))
    return response.status_code, await response.get_json()


async def owner_of(team: Team) -> User:
    return await User.get(id=team.owner_id)


async def test_a_grand_prix_league_takes_grand_prix_teams_only(
    client: TestClientProtocol,
    make_team: MakeTeam,
    auth_headers: Headers,
    constructor_prices: dict[str, int],
) -> None:
    founder = await make_team(game="grand_prix")
    status, league = await call(
        client,
        "/leagues",
        await owner_of(founder),
        auth_headers,
        {"name": "Weekenders", "is_public": True, "team_id": founder.id, "game": "grand_prix"},
    )
    assert status == 201, league
    assert league["game"] == "grand_prix"
    stored = await League.get(id=league["id"])
    assert stored.game == stored.scoring_system == "grand_prix"

    classic = await make_team()
    status, refused = await call(
        client,
        f"/leagues/{league['id']}/join",
        await owner_of(classic),
        auth_headers,
        {"team_id": classic.id},
    )
    assert status == 422, refused
    assert refused["error"]["code"] == "game_mismatch"
    message = refused["error"]["message"]
    assert "Grand Prix" in message and classic.name in message
    assert refused["error"]["details"] == {"field": "team_id"}
    status, by_code = await call(
        client,
        "/leagues/join",
        await owner_of(classic),
        auth_headers,
        {"team_id": classic.id, "invite_code": stored.invite_code},
    )
    assert status == 422 and by_code["error"]["code"] == "game_mismatch"
    assert await LeagueMember.filter(league_id=league["id"]).count() == 1

    other = await make_team(game="grand_prix")
    status, joined = await call(
        client,
        f"/leagues/{league['id']}/join",
        await owner_of(other),
        auth_headers,
        {"team_id": other.id},
    )
    assert status == 200 and joined["team_count"] == 2 and joined["game"] == "grand_prix"

    listed = await (await client.get("/api/v1/leagues?game=grand_prix")).get_json()
    assert [item["id"] for item in listed["items"]] == [league["id"]]
    assert (await (await client.get("/api/v1/leagues?game=classic")).get_json())["total"] == 0
    unknown = await client.get("/api/v1/leagues?game=rally")
    assert unknown.status_code == 422
    assert (await unknown.get_json())["error"]["code"] == "unknown_game"


async def test_a_league_named_without_a_game_is_classic_and_refuses_other_teams(
    client: TestClientProtocol,
    make_team: MakeTeam,
    auth_headers: Headers,
    constructor_prices: dict[str, int],
) -> None:
    grand_prix = await make_team(game="grand_prix")
    status, refused = await call(
        client,
        "/leagues",
        await owner_of(grand_prix),
        auth_headers,
        {"name": "Old style", "is_public": False, "team_id": grand_prix.id},
    )
    assert status == 422 and refused["error"]["code"] == "game_mismatch"
    assert await League.all().count() == 0
    classic = await make_team()
    status, league = await call(
        client,
        "/leagues",
        await owner_of(classic),
        auth_headers,
        {"name": "Old style", "is_public": False, "team_id": classic.id},
    )
    assert status == 201 and league["game"] == "classic"
    status, bad = await call(
        client,
        "/leagues",
        await owner_of(classic),
        auth_headers,
        {"name": "Odd one", "is_public": False, "team_id": classic.id, "game": "rally"},
    )
    assert status == 422 and bad["error"]["code"] == "unknown_game"
    assert bad["error"]["details"]["field"] == "game"

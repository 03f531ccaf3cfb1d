"""Teams of a game: picking the game, Grand Prix constructors, and classic left as it was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from quart.typing import TestClientProtocol

from webapp.errors import AppError
from webapp.models import Constructor, Lineup, LineupConstructor, Team, User
from webapp.teams.service import create_team, update_team

Headers = Callable[[User], dict[str, str]]
MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
async def alice(make_user: MakeUser, season: int) -> User:
    return await make_user("alice")


async def post_team(
    client: TestClientProtocol, headers: dict[str, str], **body: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/v1/teams", json=body, headers=headers)
    return response.status_code, await response.get_json()


async def test_a_grand_prix_team_buys_two_constructors_within_the_budget(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    constructor_prices: dict[str, int],
) -> None:
    cars = [constructor_prices["alpine"], constructor_prices["haas"]]  # 10.0 and 13.0
    status, body = await post_team(
        client,
        auth_headers(alice),
        name="Weekenders",
        driver_ids=cheap,
        captain_id=cheap[0],
        game="grand_prix",
        constructor_ids=cars,
    )
    assert status == 201, body
    assert body["game"] == "grand_prix"
    # The drivers cost 42.0: the constructors count in the same budget.
    assert body["budget_used"] == 65.0 and body["budget_left"] == 35.0
    assert [c["ref"] for c in body["constructors"]] == ["haas", "alpine"]
    assert body["constructors"][0] == {
        "id": cars[1],
        "ref": "haas",
        "name": body["constructors"][0]["name"],
        "price": 13.0,
    }
    saved = await LineupConstructor.filter(lineup__team_id=body["id"]).order_by("price")
    assert [(s.constructor_id, s.price) for s in saved] == [
        (cars[0], Decimal("10.0")),
        (cars[1], Decimal("13.0")),
    ]
    read = await client.get(f"/api/v1/teams/{body['id']}", headers=auth_headers(alice))
    assert await read.get_json() == body
    public = await (await client.get(f"/api/v1/teams/{body['id']}")).get_json()
    assert public["game"] == "grand_prix" and "constructors" not in public


async def test_a_team_sent_without_a_game_is_classic_as_before(
    client: TestClientProtocol, alice: User, auth_headers: Headers, cheap: list[int]
) -> None:
    status, body = await post_team(
        client, auth_headers(alice), name="Old client", driver_ids=cheap, captain_id=cheap[0]
    )
    assert status == 201, body
    assert body["game"] == "classic" and body["constructors"] == []
    assert body["budget_used"] == 42.0 and body["budget_left"] == 58.0
    assert (await Team.get(id=body["id"])).game == "classic"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"game": "rally"}, "unknown_game", "game"),
        ({"game": "classic"}, "wrong_constructor_count", "constructor_ids"),
        ({"constructor_ids": ["alpine"]}, "wrong_constructor_count", "constructor_ids"),
        ({"constructor_ids": ["alpine", "alpine"]}, "duplicate_constructor", "constructor_ids"),
        (
            {"constructor_ids": ["alpine", "haas", "rb"]},
            "wrong_constructor_count",
            "constructor_ids",
        ),
        ({"constructor_ids": ["alpine", 999_999]}, "unknown_constructor", "constructor_ids"),
        ({"constructor_ids": []}, "wrong_constructor_count", "constructor_ids"),
        ({"dear": True}, "over_budget", "driver_ids"),
    ],
)
async def test_grand_prix_roster_rules_are_refused_with_their_codes(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    constructor_prices: dict[str, int],
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    body: dict[str, Any] = {
        "name": "Rulebreakers",
        "driver_ids": cheap,
        "captain_id": cheap[0],
        "game": "grand_prix",
        "constructor_ids": [constructor_prices["alpine"], constructor_prices["haas"]],
    }
    if change.pop("dear", False):
        # 42.0 of drivers and 2 x 30.0 of constructors: 102.0.
        await Constructor.filter(id__in=body["constructor_ids"]).update(price=Decimal("30.0"))
    if "constructor_ids" in change:
        change["constructor_ids"] = [
            constructor_prices[c] if isinstance(c, str) else c for c in change["constructor_ids"]
        ]
    picked = body | change
    status, answer = await post_team(client, auth_headers(alice), **picked)
    assert status == 422, answer
    assert answer["error"]["code"] == code
    with pytest.raises(AppError) as refused:  # the pages show it beside this field
        await create_team(owner=alice, **picked)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert await Team.all().count() == 0 and await Lineup.all().count() == 0


async def test_a_classic_lineup_with_constructors_is_refused_clearly(
    client: TestClientProtocol,
    alice: User,
    auth_headers: Headers,
    cheap: list[int],
    constructor_prices: dict[str, int],
) -> None:
    status, answer = await post_team(
        client,
        auth_headers(alice),
        name="Confused",
        driver_ids=cheap,
        captain_id=cheap[0],
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
    )
    assert status == 422
    assert answer["error"]["code"] == "wrong_constructor_count"
    assert "Classic lineup holds drivers only" in answer["error"]["message"]
    assert await Team.all().count() == 0


async def test_an_unpriced_constructor_is_not_on_offer(
    alice: User, cheap: list[int], constructor_prices: dict[str, int]
) -> None:
    await Constructor.filter(id=constructor_prices["haas"]).update(price=None)
    with pytest.raises(AppError) as refused:
        await create_team(
            owner=alice,
            name="Too early",
            driver_ids=cheap,
            captain_id=cheap[0],
            game="grand_prix",
            constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
        )
    assert refused.value.code == "unknown_constructor"
    assert refused.value.field == "constructor_ids"


async def test_edits_keep_or_replace_the_constructors(
    alice: User, cheap: list[int], constructor_prices: dict[str, int]
) -> None:
    alpine, haas, rb = (constructor_prices[r] for r in ("alpine", "haas", "rb"))
    team = await create_team(
        owner=alice,
        name="Movers",
        driver_ids=cheap,
        captain_id=cheap[0],
        game="grand_prix",
        constructor_ids=[alpine, haas],
    )

    async def latest() -> set[int]:
        lineup = await Lineup.filter(team_id=team.id).order_by("-id").first()
        assert lineup is not None
        return set(
            await LineupConstructor.filter(lineup_id=lineup.id).values_list(
                "constructor_id", flat=True
            )
        )

    await update_team(user=alice, team_id=team.id, captain_id=cheap[1])
    assert await latest() == {alpine, haas}  # a captain change keeps the constructors
    await update_team(user=alice, team_id=team.id, constructor_ids=[alpine, rb])
    assert await latest() == {alpine, rb}
    with pytest.raises(AppError) as refused:
        await update_team(user=alice, team_id=team.id, constructor_ids=[rb])
    assert refused.value.code == "wrong_constructor_count"
    assert await latest() == {alpine, rb}


async def test_the_game_cannot_be_changed_by_an_edit(
    client: TestClientProtocol, alice: User, auth_headers: Headers, cheap: list[int]
) -> None:
    status, body = await post_team(
        client, auth_headers(alice), name="Stayers", driver_ids=cheap, captain_id=cheap[0]
    )
    assert status == 201
    response = await client.put(
        f"/api/v1/teams/{body['id']}", json={"game": "grand_prix"}, headers=auth_headers(alice)
    )
    assert response.status_code == 422
    assert (await response.get_json())["error"]["code"] == "validation_error"
    assert (await Team.get(id=body["id"])).game == "classic"

"""GET /api/v1/games lists every game with its rules, as the OpenAPI document says."""

from __future__ import annotations

from decimal import Decimal

from quart.typing import TestClientProtocol

from webapp import games
from webapp.games.model import Game, RosterRules, Scoring, SessionRules


async def test_the_games_and_their_rules(client: TestClientProtocol) -> None:
    response = await client.get("/api/v1/games")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["total"] == 2
    classic, grand_prix = body["items"]
    assert classic["name"] == "classic"
    assert classic["roster"] == {
        "drivers": 5,
        "constructors": 0,
        "budget": 100.0,
        "per_constructor": 2,
        "captain": True,
    }
    assert classic["scoring"]["race"]["position_points"] == [25, 18, 15, 12, 10, 8, 6, 4, 2, 1]
    assert classic["scoring"]["race"]["fastest_lap"] == 5
    assert classic["scoring"]["qualifying"] is None
    assert classic["scoring"]["sprint"] is None
    assert grand_prix["name"] == "grand_prix"
    assert grand_prix["title"] == "Grand Prix"
    assert grand_prix["roster"]["constructors"] == 2
    scoring = grand_prix["scoring"]
    assert scoring["qualifying"] == {
        "position_points": [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        "no_time": -5,
        "disqualified": -5,
    }
    assert scoring["sprint"]["position_points"] == [8, 7, 6, 5, 4, 3, 2, 1]
    race = scoring["race"]
    assert (race["not_classified"], race["disqualified"], race["fastest_lap"]) == (-20, -25, 10)
    assert race["driver_of_the_day"] == 10
    assert race["not_classified_texts"] == ["N", "R"]
    assert scoring["constructor"]["qualifying_bonus"] == {
        "both_q3": 10,
        "one_q3": 5,
        "both_q2": 3,
        "one_q2": 1,
        "neither_leaves_q1": -1,
    }
    assert scoring["captain_multiplier"] == 2
    assert grand_prix["not_scored"] == ["overtakes", "pit_stop_times"]
    assert classic["market"] is None


async def test_the_grand_prix_market_rules(client: TestClientProtocol) -> None:
    body = await (await client.get("/api/v1/games?offset=1")).get_json()
    market = body["items"][0]["market"]
    assert market["bank"] == 100.0
    assert market["transfers"] == {"free_per_race": 3, "max_carry_over": 1, "penalty_points": -10}
    assert (market["chips_per_race"], market["chip_uses_per_season"]) == (1, 1)
    chips = {chip["name"]: chip for chip in market["chips"]}
    assert list(chips) == ["extra_boost", "wildcard", "limitless", "no_negative", "autopilot"]
    assert chips["extra_boost"]["captain_multiplier"] == 3
    assert chips["limitless"]["no_budget"] and chips["limitless"]["reverts_after_race"]
    assert chips["wildcard"]["after_first_scored_race"]
    assert not chips["autopilot"]["after_first_scored_race"] and chips["autopilot"]["auto_captain"]
    prices = market["prices"]
    assert (prices["form_races"], prices["dear_from"], prices["floor"]) == (3, 18.5, 4.5)
    assert [
        (b["above"], b["inclusive"], b["dear_move"], b["cheap_move"]) for b in prices["bands"]
    ] == [
        (1.2, False, 0.3, 0.6),
        (0.9, True, 0.1, 0.2),
        (0.6, True, -0.1, -0.2),
        (None, True, -0.3, -0.6),
    ]


async def test_the_list_pages(client: TestClientProtocol) -> None:
    body = await (await client.get("/api/v1/games?limit=1&offset=1")).get_json()
    assert [game["name"] for game in body["items"]] == ["grand_prix"]
    assert body["total"] == 2
    bad = await client.get("/api/v1/games?limit=0")
    assert bad.status_code == 422
    assert (await bad.get_json())["error"]["code"] == "validation_error"


async def test_a_registered_game_is_listed(client: TestClientProtocol) -> None:
    toy = Game(
        name="podium",
        title="Podium",
        summary="Three drivers; only the podium scores.",
        roster=RosterRules(drivers=3, constructors=0, budget=Decimal("50.0"), per_constructor=1),
        scoring=Scoring(race=SessionRules(position_points=(3, 2, 1))),
    )
    with games.registered(toy):
        body = await (await client.get("/api/v1/games")).get_json()
    assert [game["name"] for game in body["items"]] == ["classic", "grand_prix", "podium"]
    assert body["items"][2]["roster"]["budget"] == 50.0


async def test_the_openapi_document_describes_it(client: TestClientProtocol) -> None:
    doc = await (await client.get("/openapi.json")).get_json()
    operation = doc["paths"]["/api/v1/games"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"items", "total"}
    assert schema["properties"]["items"]["items"]["$ref"] == "#/components/schemas/GameOut"
    assert {p["name"] for p in operation["parameters"]} == {"limit", "offset"}
    game = doc["components"]["schemas"]["GameOut"]
    assert {"name", "roster", "scoring", "not_scored"} <= set(game["properties"])

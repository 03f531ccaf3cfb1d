"""Scores API, race pages and the breakdown partial as clients and browsers see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from quart import Quart, render_template_string
from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from webapp.models import Constructor, LineupConstructor
from webapp.pipeline import rescore_race

EARLY = BELGIUM_LOCK - timedelta(days=1)


@pytest.fixture
async def scored(world: World) -> dict:
    """Alpha scored in Belgium and Singapore; a third race is still to come."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    future = await world.race("Abu Dhabi Grand Prix", lock_at=datetime(2099, 12, 1, tzinfo=UTC))
    alpha = await world.team("Alpha")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=belgium.id)
    await rescore_race(race_id=singapore.id)
    return {
        "world": world,
        "belgium": belgium,
        "singapore": singapore,
        "future": future,
        "alpha": alpha,
    }


async def test_team_scores_explain_each_race(client: TestClientProtocol, scored: dict) -> None:
    s, ids = scored, {code: d.id for code, d in scored["world"].drivers.items()}
    response = await client.get(f"/api/v1/teams/{s['alpha'].id}/scores")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["total"] == 2
    assert [(i["race_id"], i["points"]) for i in body["items"]] == [
        (s["belgium"].id, 44),
        (s["singapore"].id, 52),
    ]
    # Captain first, then by points: Singapore's RUS 12x2, PIA 15, HAM 8, RIC 0+5, ZHO 0.
    assert body["items"][1]["lineup"] == [
        {
            "driver_id": ids["RUS"],
            "captain": True,
            "position_points": 12,
            "bonus_points": 0,
            "multiplier": 2,
            "points": 24,
        },
        {
            "driver_id": ids["PIA"],
            "captain": False,
            "position_points": 15,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 15,
        },
        {
            "driver_id": ids["HAM"],
            "captain": False,
            "position_points": 8,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 8,
        },
        {
            "driver_id": ids["RIC"],
            "captain": False,
            "position_points": 0,
            "bonus_points": 5,
            "multiplier": 1,
            "points": 5,
        },
        {
            "driver_id": ids["ZHO"],
            "captain": False,
            "position_points": 0,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 0,
        },
    ]
    paged = await (
        await client.get(f"/api/v1/teams/{s['alpha'].id}/scores?limit=1&offset=1")
    ).get_json()
    assert (paged["total"], [i["race_id"] for i in paged["items"]]) == (2, [s["singapore"].id])


async def test_scores_of_races_not_locked_stay_hidden(
    client: TestClientProtocol, scored: dict
) -> None:
    # An admin pushes Singapore's deadline into the future: its lineup is secret again.
    singapore = scored["singapore"]
    singapore.lock_at = datetime(2099, 1, 1, tzinfo=UTC)
    await singapore.save(update_fields=["lock_at"])
    body = await (await client.get(f"/api/v1/teams/{scored['alpha'].id}/scores")).get_json()
    assert [i["race_id"] for i in body["items"]] == [scored["belgium"].id]


async def test_unknown_team_scores_are_not_found(client: TestClientProtocol, world: World) -> None:
    response = await client.get("/api/v1/teams/424242/scores")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


async def test_races_page_lists_the_calendar(client: TestClientProtocol, scored: dict) -> None:
    html = (await (await client.get("/races?season=2024")).get_data()).decode()
    assert f'href="/races/{scored["belgium"].id}"' in html
    assert f'href="/races/{scored["future"].id}"' in html
    assert "status-provisional" in html


async def test_race_page_shows_results_and_the_race_table(
    client: TestClientProtocol, scored: dict
) -> None:
    html = (await (await client.get(f"/races/{scored['belgium'].id}")).get_data()).decode()
    assert "Disqualified" in html and "(version 1)" in html
    results = html.split('id="results"')[1].split("</table>")[0]
    fantasy = {
        row.split('class="code">')[1][:3]: row.split('<td class="num">')[-1].split("<")[0]
        for row in results.split("<tr>")[2:]
    }
    # The drivers' own points as rescoring stored them: RUS set the fastest lap but was
    # disqualified, so no bonus; HAM won without it; RIC took the last point.
    assert (fantasy["HAM"], fantasy["PIA"], fantasy["RIC"]) == ("25", "18", "1")
    assert (fantasy["RUS"], fantasy["ZHO"], fantasy["ALB"]) == ("0", "0", "0")
    assert f'<tr id="lb-row-{scored["alpha"].id}">' in html
    assert f'id="lb-body-race-{scored["belgium"].id}"' in html
    empty = (await (await client.get(f"/races/{scored['future'].id}")).get_data()).decode()
    assert "No results yet." in empty and "No teams on this table yet." in empty
    assert (await client.get("/races/9999")).status_code == 404


async def test_breakdown_partial_answers_why(app: Quart, scored: dict) -> None:
    async with app.test_request_context("/teams/1"):
        html = await render_template_string(
            '{% include "scoring/_breakdown.html" %}', team=scored["alpha"]
        )
    assert "Round 1 · Belgian Grand Prix" in html and "44 pts" in html
    assert "Round 2 · Singapore Grand Prix" in html and "52 pts" in html
    assert "Captain" in html and "+5" in html


@pytest.fixture
async def grand_prix(world: World) -> dict:
    """A Grand Prix team with two constructors, scored in Belgium (race results only)."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    golf = await world.team("Golf", game="grand_prix")
    lineup = await world.lineup(
        golf, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="HAM", saved_at=EARLY
    )
    cars = {ref: await Constructor.get(ref=ref) for ref in ("mercedes", "mclaren")}
    for car in cars.values():
        await LineupConstructor.create(lineup=lineup, constructor=car, price=Decimal("20.0"))
    await world.results(belgium, BELGIUM)
    await rescore_race(race_id=belgium.id)
    return {"world": world, "belgium": belgium, "golf": golf, "cars": cars}


async def test_grand_prix_scores_explain_each_asset(
    client: TestClientProtocol, grand_prix: dict
) -> None:
    g, ids = grand_prix, {code: d.id for code, d in grand_prix["world"].drivers.items()}
    body = await (await client.get(f"/api/v1/teams/{g['golf'].id}/scores")).get_json()
    (item,) = body["items"]
    # The factory's grids are all 0 (pit lane): each starts 14th of the 14 starters.
    # HAM captain: P1 25 + 13 gained = 38, doubled +38; PIA P2 18 + 12 = 30; RIC P10
    # 1 + 4 = 5; RUS disqualified -25; ZHO retired -20. Mercedes 38 - 25 = 13; McLaren
    # PIA 30 + NOR P5 (10 + 9) = 49. No qualifying stored: no bonus. 66 + 13 + 49 = 128.
    assert (item["race_id"], item["points"], item["game"]) == (g["belgium"].id, 128, "grand_prix")
    lines = {
        (a["kind"], a["driver_id"] or a["constructor_id"]): (
            a["captain"],
            a["qualifying_points"],
            a["sprint_points"],
            a["race_points"],
            a["bonus_points"],
            a["captain_points"],
            a["points"],
        )
        for a in item["assets"]
    }
    assert lines["driver", ids["HAM"]] == (True, 0, 0, 38, 0, 38, 76)
    assert lines["driver", ids["RUS"]] == (False, 0, 0, -25, 0, 0, -25)
    assert lines["driver", ids["ZHO"]] == (False, 0, 0, -20, 0, 0, -20)
    assert lines["constructor", g["cars"]["mercedes"].id] == (False, 0, 0, 13, 0, 0, 13)
    assert lines["constructor", g["cars"]["mclaren"].id] == (False, 0, 0, 49, 0, 0, 49)
    assert [a["kind"] for a in item["assets"]] == ["driver"] * 5 + ["constructor"] * 2
    assert item["assets"][0]["driver_id"] == ids["HAM"]  # the captain first


async def test_grand_prix_breakdown_partial_shows_sessions(app: Quart, grand_prix: dict) -> None:
    async with app.test_request_context("/teams/1"):
        html = await render_template_string(
            '{% include "scoring/_breakdown.html" %}', team=grand_prix["golf"]
        )
    assert "Round 1 · Belgian Grand Prix" in html and "128 pts" in html
    assert "Qualifying" in html and "Sprint" in html and "mercedes" in html
    assert "Weekend total" in html

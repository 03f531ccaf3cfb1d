"""The leaderboard API and page as clients and browsers see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from webapp.models import User
from webapp.pipeline import rescore_race

EARLY = BELGIUM_LOCK - timedelta(days=1)
Headers = Callable[[User], dict[str, str]]


@pytest.fixture
async def scored(world: World) -> dict:
    """Two races scored for three teams; Olivia owns Alpha, Bravo belongs to Ben."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    olivia, ben = await world.user("olivia"), await world.user("ben")
    alpha = await world.team("Alpha", owner=olivia)
    bravo = await world.team("Bravo", owner=ben)
    delta = await world.team("Delta")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.lineup(delta, ["VER", "NOR", "LEC", "ALO", "OCO"], captain="VER", saved_at=EARLY)
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=belgium.id)
    await rescore_race(race_id=singapore.id)
    league = await world.league("Friends", owner=olivia, teams=[alpha, delta], public=False)
    return {
        "world": world,
        "belgium": belgium,
        "singapore": singapore,
        "olivia": olivia,
        "ben": ben,
        "alpha": alpha,
        "bravo": bravo,
        "delta": delta,
        "league": league,
    }


def row(rank: int, team, owner: User, points: int, change: int) -> dict:
    return {
        "rank": rank,
        "team": {"id": team.id, "name": team.name},
        "owner": {"id": owner.id, "username": owner.username},
        "points": points,
        "rank_change": change,
    }


async def test_overall_leaderboard_shape_and_mine(
    client: TestClientProtocol, scored: dict, auth_headers: Headers
) -> None:
    s = scored
    delta_owner = await User.get(id=s["delta"].owner_id)
    # Belgium: Bravo 86, Delta 55, Alpha 44. Singapore: Bravo 66, Delta (VER 18x2, NOR 25,
    # LEC 10, ALO 4, OCO 0) 75, Alpha 52. Totals 152, 130, 96: nobody moved.
    response = await client.get(
        "/api/v1/leaderboard?season=2024", headers=auth_headers(s["olivia"])
    )
    assert response.status_code == 200
    assert await response.get_json() == {
        "game": "classic",
        "items": [
            row(1, s["bravo"], s["ben"], 152, 0),
            row(2, s["delta"], delta_owner, 130, 0),
            row(3, s["alpha"], s["olivia"], 96, 0),
        ],
        "total": 3,
        "mine": [row(3, s["alpha"], s["olivia"], 96, 0)],
    }
    anonymous = await (
        await client.get("/api/v1/leaderboard?season=2024&limit=1&offset=1")
    ).get_json()
    assert anonymous == {
        "game": "classic",
        "items": [row(2, s["delta"], delta_owner, 130, 0)],
        "total": 3,
        "mine": [],
    }


async def test_race_leaderboard_and_its_errors(client: TestClientProtocol, scored: dict) -> None:
    s = scored
    body = await (await client.get(f"/api/v1/leaderboard?race_id={s['singapore'].id}")).get_json()
    # Singapore alone against the Belgium race table: Delta (75) passes Bravo (66).
    assert [
        (r["rank"], r["team"]["name"], r["points"], r["rank_change"]) for r in body["items"]
    ] == [
        (1, "Delta", 75, 1),
        (2, "Bravo", 66, -1),
        (3, "Alpha", 52, 0),
    ]
    missing = await client.get("/api/v1/leaderboard?race_id=9999")
    assert (missing.status_code, (await missing.get_json())["error"]["code"]) == (404, "not_found")
    mismatch = await client.get(f"/api/v1/leaderboard?season=2023&race_id={s['belgium'].id}")
    assert mismatch.status_code == 422
    assert (await mismatch.get_json())["error"]["code"] == "season_mismatch"


async def test_paging_is_validated_and_clamped(client: TestClientProtocol, scored: dict) -> None:
    bad = await client.get("/api/v1/leaderboard?season=2024&limit=0&offset=-1")
    assert bad.status_code == 422
    error = (await bad.get_json())["error"]
    assert error["code"] == "validation_error"
    assert {"limit", "offset"} <= set(error["details"]["fields"])
    wide = await client.get("/api/v1/leaderboard?season=2024&limit=5000")
    assert wide.status_code == 200 and len((await wide.get_json())["items"]) == 3
    words = await client.get("/api/v1/leaderboard?season=twenty")
    assert words.status_code == 422


async def test_private_league_board_is_for_members(
    client: TestClientProtocol, scored: dict, auth_headers: Headers
) -> None:
    s = scored
    url = f"/api/v1/leagues/{s['league'].id}/leaderboard"
    for headers in ({}, auth_headers(s["ben"])):
        hidden = await client.get(url, headers=headers)
        assert hidden.status_code == 404
        assert (await hidden.get_json())["error"]["code"] == "not_found"
    body = await (await client.get(url, headers=auth_headers(s["olivia"]))).get_json()
    assert [(r["rank"], r["team"]["name"], r["points"]) for r in body["items"]] == [
        (1, "Delta", 130),
        (2, "Alpha", 96),
    ]
    assert [r["team"]["name"] for r in body["mine"]] == ["Alpha"]
    race = await client.get(f"{url}?race_id={s['belgium'].id}", headers=auth_headers(s["olivia"]))
    assert [(r["rank"], r["points"]) for r in (await race.get_json())["items"]] == [
        (1, 55),
        (2, 44),
    ]
    assert (await client.get("/api/v1/leagues/9999/leaderboard")).status_code == 404


async def test_leaderboard_page_marks_my_rows(
    app: Quart, client: TestClientProtocol, scored: dict, make_user, login
) -> None:
    s = scored
    me = await make_user("petra")
    mine = await s["world"].team("Petra's", owner=me)
    await s["world"].lineup(
        mine, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY
    )
    await rescore_race(race_id=s["belgium"].id)
    anonymous = (await (await client.get("/leaderboard")).get_data()).decode()
    await login(client, me)
    html = (await (await client.get("/leaderboard")).get_data()).decode()
    assert f'<tr id="lb-row-{mine.id}" class="mine">' in html
    assert f'<tr id="lb-row-{s["alpha"].id}">' in html
    assert 'id="lb-body-leaderboard"' in html
    assert "Your teams" in html and "Petra&#39;s" in html
    # The table anonymous readers share (rendered once for all of them) marks nobody's row,
    # before and after a player's page marked theirs.
    again = await (await app.test_client().get("/leaderboard")).get_data()
    for page in (anonymous, again.decode()):
        assert f'<tr id="lb-row-{mine.id}">' in page and 'class="mine"' not in page


async def test_leaderboard_pages_through_with_htmx(
    client: TestClientProtocol, world: World
) -> None:
    race = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    for n in range(55):
        team = await world.team(f"Team {n:02d}")
        await world.lineup(team, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    await world.results(race, BELGIUM)
    await rescore_race(race_id=race.id)
    first = (await (await client.get("/leaderboard")).get_data()).decode()
    assert first.count('id="lb-row-') == 50 and "Page 1 of 2" in first
    second = await client.get("/leaderboard?page=2", headers={"HX-Request": "true"})
    fragment = (await second.get_data()).decode()
    assert fragment.lstrip().startswith('<div id="board">')
    assert fragment.count('id="lb-row-') == 5 and "<html" not in fragment
    # Everyone is tied on 86: rank 1 on every page.
    assert '<td class="num">1</td>' in fragment
    nonsense = await client.get("/leaderboard?page=zero")
    assert nonsense.status_code == 200

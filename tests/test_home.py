"""The home page: next deadline, the player's teams and a live top ten of the overall table."""

from __future__ import annotations

import asyncio
import html as html_lib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from tests.live.scenario import (
    ALPHA_AHEAD,
    BRAVO_AHEAD,
    CHEAP,
    Scenario,
    build_league,
    cheap_driver_ids,
    publish_results,
    row_rank,
)
from webapp.models import User
from webapp.teams.service import create_team

ORIGIN = {"Origin": "http://localhost"}
GUARD_SECONDS = 10.0  # only a guard against a hang: the wait ends when the message comes
Login = Callable[..., Awaitable[None]]


@pytest.fixture
async def world(app: Quart, season: int, make_user: Callable[..., Awaitable[User]]) -> Scenario:
    """Alpha (Alice) leads Bravo (Bob) after race one; ten more teams trail; race one is next."""
    scenario = await build_league(
        season=season, alice=await make_user("alice"), bob=await make_user("bob")
    )
    drivers = await cheap_driver_ids(season)
    before = scenario.race.lock_at - timedelta(days=1)
    for n in range(10):
        owner = await User.create(
            email=f"p{n}@example.com", username=f"p{n}", display_name=f"p{n}", password_hash="-"
        )
        await create_team(
            owner=owner,
            name=f"Trailer {n}",
            driver_ids=[drivers[ref] for ref in CHEAP],
            captain_id=drivers["doohan"],
            now=before,
        )
    await publish_results(season=season, race=scenario.race, order=ALPHA_AHEAD)
    app.config["CLOCK"] = lambda: before
    return scenario


def section(page: str, section_id: str) -> str:
    """Return the HTML of the page's `<section id=...>`."""
    match = re.search(rf'<section[^>]* id="{section_id}">(.*?)</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


async def test_signed_in_home_shows_deadline_my_teams_and_the_top_ten(
    client: TestClientProtocol, world: Scenario, login: Login
) -> None:
    await login(client, world.alice)
    page = (await (await client.get("/")).get_data()).decode()

    lock = world.race.lock_at.isoformat().replace("+00:00", "Z")
    assert f'<span class="countdown" data-until="{lock}">(in 1 d 0 h 0 min)</span>' in page
    mine = section(page, "my-teams")
    assert re.search(
        rf'<strong>#1</strong> <a href="/teams/{world.alpha.id}">Alpha</a>\s*· \d+ pts', mine
    )
    assert "Bravo" not in mine
    top = section(page, "top-board")
    assert len(re.findall(r'<tr id="lb-row-', top)) == 10
    assert f'<tr id="lb-row-{world.alpha.id}" class="mine">' in top
    unmarked = top.replace(' class="mine"', "")
    assert row_rank(unmarked, world.alpha.id) == 1 and row_rank(unmarked, world.bravo.id) == 2


async def test_anonymous_home_has_the_table_but_no_teams(
    client: TestClientProtocol, world: Scenario
) -> None:
    page = (await (await client.get("/")).get_data()).decode()
    assert 'id="my-teams"' not in page
    assert row_rank(section(page, "top-board"), world.alpha.id) == 1
    assert "Verstappen" in page and "Monaco Grand Prix" in page


async def test_home_top_ten_follows_the_board_live(
    app: Quart, client: TestClientProtocol, world: Scenario, login: Login
) -> None:
    await login(client, world.alice)
    page = (await (await client.get("/")).get_data()).decode()
    socket = re.search(r'ws-connect="([^"]+)"', page)
    assert socket, "the home page opens no live socket"
    body = re.search(r'<tbody id="([^"]+)"', section(page, "top-board"))
    assert body

    async with client.websocket(html_lib.unescape(socket.group(1)), headers=ORIGIN) as ws:
        await publish_results(season=world.race.season_id, race=world.race, order=BRAVO_AHEAD)
        for _ in range(100):
            message = await asyncio.wait_for(ws.receive(), GUARD_SECONDS)
            if f'<tbody id="{body.group(1)}" hx-swap-oob="true">' in message and (
                row_rank(message, world.bravo.id) == 1
            ):
                break
        else:
            raise AssertionError("the top ten's table body never showed Bravo first")
    assert row_rank(message, world.alpha.id) == 2


async def test_my_teams_of_another_game_show_with_their_rank(
    client: TestClientProtocol,
    world: Scenario,
    login: Login,
    constructor_prices: dict[str, int],
) -> None:
    drivers = list((await cheap_driver_ids(world.race.season_id)).values())
    team = await create_team(
        owner=world.alice,
        name="Weekenders",
        driver_ids=drivers,
        captain_id=drivers[0],
        game="grand_prix",
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
    )
    await login(client, world.alice)
    page = (await (await client.get("/")).get_data()).decode()
    grand_prix = section(page, "my-teams-grand_prix")
    assert "My Grand Prix teams" in grand_prix
    assert f'<strong>#1</strong> <a href="/teams/{team.id}">Weekenders</a>' in grand_prix
    assert "Weekenders" not in section(page, "top-board")  # the classic table

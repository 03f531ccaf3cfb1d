"""The team builder of a game: picking the game, and a Grand Prix team's constructors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from quart.typing import TestClientProtocol

from tests.teams.test_pages import lineup_form, post_form, text
from webapp.models import LineupConstructor, Team, User

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]


@pytest.fixture
async def alice(make_user: MakeUser, season: int) -> User:
    return await make_user("alice")


async def test_the_builder_offers_each_game_classic_first(
    client: TestClientProtocol, alice: User, login: Login, constructor_prices: dict[str, int]
) -> None:
    await login(client, alice)
    html = await text(await client.get("/teams/new"))
    assert 'name="game" value="classic" checked' in html
    assert 'name="game" value="grand_prix"' in html and "Five drivers and two constructors" in html
    assert 'href="/games/grand_prix"' in html
    assert 'name="constructor_ids"' not in html
    grand_prix = await text(await client.get("/teams/new?game=grand_prix"))
    assert 'name="game" value="grand_prix" checked' in grand_prix
    assert grand_prix.count('name="constructor_ids"') == 10
    assert "Constructors: pick 2" in grand_prix and "0</strong>/2 constructors" in grand_prix
    unknown = await client.get("/teams/new?game=rally")
    assert unknown.status_code == 422


async def test_a_grand_prix_team_is_built_with_two_constructors(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    constructor_prices: dict[str, int],
) -> None:
    await login(client, alice)
    token = await csrf_token_for(client)
    cars = [constructor_prices["alpine"], constructor_prices["haas"]]
    pairs = [*lineup_form("Weekenders", cheap, cheap[0], token), ("game", "grand_prix")]
    # The running status counts the constructors in the budget: 42.0 + 10.0.
    status = await text(
        await post_form(
            client,
            "/teams/new",
            [*pairs, ("constructor_ids", str(cars[0])), ("check", "1")],
            htmx=True,
        )
    )
    assert "<strong>52.0</strong>" in status and "48.0 left" in status
    assert 'data-code="wrong_constructor_count"' in status and "<html" not in status
    refused = await post_form(client, "/teams/new", [*pairs, ("constructor_ids", str(cars[0]))])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert await Team.all().count() == 0
    created = await post_form(
        client, "/teams/new", pairs + [("constructor_ids", str(c)) for c in cars]
    )
    assert created.status_code == 303  # type: ignore[attr-defined]
    team = await Team.get(name="Weekenders")
    assert team.game == "grand_prix"
    assert await LineupConstructor.filter(lineup__team_id=team.id).count() == 2
    page = await text(await client.get(f"/teams/{team.id}"))
    assert "Grand Prix</a> game" in page
    assert page.count('name="constructor_ids"') == 10 and page.count("checked") >= 7
    assert "<strong>65.0</strong>" in page  # drivers and constructors at today's prices
    assert 'name="game"' not in page  # a team keeps its game


async def test_visitors_see_the_game_on_a_team_page(
    client: TestClientProtocol, alice: User, cheap: list[int], constructor_prices: dict[str, int]
) -> None:
    from webapp.teams.service import create_team

    team = await create_team(
        owner=alice,
        name="Weekenders",
        driver_ids=cheap,
        captain_id=cheap[0],
        game="grand_prix",
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
    )
    page = await text(await client.get(f"/teams/{team.id}"))
    assert 'href="/games/grand_prix">Grand Prix</a> game' in page


async def test_switching_game_with_htmx_loads_that_builder(
    client: TestClientProtocol, alice: User, login: Login, constructor_prices: dict[str, int]
) -> None:
    await login(client, alice)
    response = await client.get("/teams/new?game=grand_prix", headers={"HX-Request": "true"})
    html = await text(response)
    # The radio asks for the page and keeps its main part (hx-select="#main").
    assert '<main id="main">' in html and 'name="constructor_ids"' in html

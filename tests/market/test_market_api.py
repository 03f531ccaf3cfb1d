"""Prices and their history on the catalogue API and the driver and constructor pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quart.typing import TestClientProtocol

from tests.market.bundled import bundled, ids, store
from webapp.models import AssetPrice, Constructor, Driver, Race, User

D = Decimal


async def listed(client: TestClientProtocol, path: str, ref: str) -> dict[str, Any]:
    response = await client.get(f"{path}?season=2024&limit=100")
    assert response.status_code == 200
    items = (await response.get_json())["items"]
    (item,) = [i for i in items if i["ref"] == ref]
    return item


async def test_drivers_and_constructors_show_their_price_in_each_game(
    client: TestClientProtocol, season_2024: dict[int, Race]
) -> None:
    before = await listed(client, "/api/v1/drivers", "max_verstappen")
    assert before["price"] == 30.0
    assert before["prices"] == {"classic": 30.0, "grand_prix": 30.0}
    assert before["price_history"] == {
        "grand_prix": [{"race_id": None, "round": None, "price": 30.0}]
    }
    for number in (1, 2):
        await store(season_2024[number], bundled(number))
    verstappen = await listed(client, "/api/v1/drivers", "max_verstappen")
    # Bahrain 45 points on 30.0: +0.3. Saudi Arabia: P1 in qualifying (10), won from pole
    # (25), no fastest lap: 35, and (45 + 35) / 2 = 40 on 30.3 is 1.32 per million: +0.3.
    assert verstappen["price"] == 30.0
    assert verstappen["prices"] == {"classic": 30.0, "grand_prix": 30.6}
    assert verstappen["price_history"]["grand_prix"] == [
        {"race_id": None, "round": None, "price": 30.0},
        {"race_id": season_2024[1].id, "round": 1, "price": 30.3},
        {"race_id": season_2024[2].id, "round": 2, "price": 30.6},
    ]
    red_bull = await listed(client, "/api/v1/constructors", "red_bull")
    assert red_bull["price"] == 30.0
    assert [p["round"] for p in red_bull["price_history"]["grand_prix"]] == [None, 1, 2]
    assert red_bull["prices"]["grand_prix"] == red_bull["price_history"]["grand_prix"][-1]["price"]
    # Bearman did not race in Bahrain: his history starts at his first race.
    bearman = await listed(client, "/api/v1/drivers", "bearman")
    assert [p["round"] for p in bearman["price_history"]["grand_prix"]] == [None, 2]


async def test_an_admin_price_is_the_starting_price(
    client: TestClientProtocol,
    season_2024: dict[int, Race],
    auth_headers: Any,
) -> None:
    admin = await User.create(
        email="admin@example.com",
        username="admin",
        display_name="admin",
        password_hash="-",
        is_admin=True,
    )
    await store(season_2024[1], bundled(1))
    (verstappen, doohan) = await ids(Driver, "max_verstappen", "doohan")
    (williams,) = await ids(Constructor, "williams")
    # Verstappen has moved in the Grand Prix game: the admin's price starts his history and
    # is the classic price; the market's price stands.
    response = await client.patch(
        f"/api/v1/admin/drivers/{verstappen}", json={"price": 31.5}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["prices"] == {"classic": 31.5, "grand_prix": 30.3}
    assert body["price_history"]["grand_prix"][0] == {"race_id": None, "round": None, "price": 31.5}
    # Doohan has not raced: his price is the admin's in every game.
    response = await client.patch(
        f"/api/v1/admin/drivers/{doohan}", json={"price": 9.9}, headers=auth_headers(admin)
    )
    assert (await response.get_json())["prices"] == {"classic": 9.9, "grand_prix": 9.9}
    response = await client.patch(
        f"/api/v1/admin/constructors/{williams}", json={"price": 16.0}, headers=auth_headers(admin)
    )
    body = await response.get_json()
    assert body["price"] == 16.0 and body["prices"]["grand_prix"] != 16.0
    assert (await listed(client, "/api/v1/drivers", "doohan"))["prices"]["grand_prix"] == 9.9
    # Nothing re-priced the market.
    assert await AssetPrice.filter(race_id=season_2024[1].id).count() == 30


async def test_the_price_chart_draws_the_market_history(
    client: TestClientProtocol, season_2024: dict[int, Race]
) -> None:
    for number in (1, 2):
        await store(season_2024[number], bundled(number))
    (verstappen,) = await ids(Driver, "max_verstappen")
    response = await client.get(f"/drivers/{verstappen}")
    assert response.status_code == 200
    html = (await response.get_data()).decode()
    assert "Max Verstappen costs 30.6 in the Grand Prix game, from 30 at the start." in html
    assert '<tr><th scope="row">R1</th><td class="num">30.3</td></tr>' in html
    assert '<tr><th scope="row">R2</th><td class="num">30.6</td></tr>' in html
    assert "<dt>Grand Prix price</dt><dd>30.6</dd>" in html
    (red_bull,) = await ids(Constructor, "red_bull")
    response = await client.get(f"/constructors/{red_bull}")
    assert "in the Grand Prix game, from 30 at the start." in (await response.get_data()).decode()

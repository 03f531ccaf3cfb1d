"""The builder shows the prices a save is charged: a Grand Prix team's moved ones, classic's own."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from tests.teams.forms import post_form
from webapp.models import AssetPrice, Constructor, Driver, Lineup, Race, Team, User
from webapp.teams.service import create_team

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]


def shown_price(html: str, key: str) -> Decimal:
    """Return the price the builder shows next to an asset (key: d-<id> or c-<id>)."""
    found = re.search(rf'data-price="{key}">([0-9.]+)<', html)
    assert found is not None, f"no price shown for {key}"
    return Decimal(found.group(1))


def lineup_form(
    token: str, name: str, drivers: list[int], cars: list[int], *, game: str | None = None
) -> list[tuple[str, str]]:
    pairs = [("csrf_token", token), ("name", name), ("captain_id", str(drivers[0]))]
    if game:
        pairs.append(("game", game))
    pairs += [("driver_ids", str(i)) for i in drivers]
    return pairs + [("constructor_ids", str(i)) for i in cars]


@pytest.fixture
async def races(season: int) -> list[Race]:
    return list(await Race.filter(season_id=season).order_by("round"))


async def move_price(race: Race, asset: Driver | Constructor, price: Decimal) -> None:
    """Store a Grand Prix price move of an asset after a race, as the market pipeline does."""
    kind = "driver" if isinstance(asset, Driver) else "constructor"
    await AssetPrice.create(
        game="grand_prix", season_id=race.season_id, race=race, price=price, **{kind: asset}
    )


async def test_grand_prix_builder_shows_moved_prices_and_classic_its_own(
    app: Quart,
    client: TestClientProtocol,
    make_user: MakeUser,
    login: Login,
    cheap: list[int],
    races: list[Race],
    constructor_prices: dict[str, int],
) -> None:
    driver = await Driver.get(id=cheap[0])
    car = await Constructor.get(id=constructor_prices["haas"])
    base, car_base = Decimal(driver.price), Decimal(car.price)
    await move_price(races[0], driver, base + Decimal("3.3"))
    await move_price(races[0], car, car_base - Decimal("1.5"))
    at = races[1].lock_at - timedelta(hours=1)
    app.config["CLOCK"] = lambda: at
    alice = await make_user("alice")
    await login(client, alice)

    grand_prix = (await (await client.get("/teams/new?game=grand_prix")).get_data()).decode()
    classic = (await (await client.get("/teams/new?game=classic")).get_data()).decode()

    assert shown_price(grand_prix, f"d-{driver.id}") == base + Decimal("3.3")
    assert shown_price(grand_prix, f"c-{car.id}") == car_base - Decimal("1.5")
    assert shown_price(classic, f"d-{driver.id}") == base
    # An unmoved driver shows its starting price in both games.
    assert shown_price(grand_prix, f"d-{cheap[1]}") == shown_price(classic, f"d-{cheap[1]}")

    # The owner's builder, its htmx totals and the API agree on the moved prices.
    cars = [constructor_prices["alpine"], car.id]
    team = await create_team(
        owner=alice,
        name="Movers",
        driver_ids=cheap,
        captain_id=cheap[0],
        constructor_ids=cars,
        game="grand_prix",
        season=races[0].season_id,
        now=at,
    )
    page = (await (await client.get(f"/teams/{team.id}")).get_data()).decode()
    assert shown_price(page, f"d-{driver.id}") == base + Decimal("3.3")
    drivers = await Driver.filter(id__in=cheap)
    alpine = await Constructor.get(id=constructor_prices["alpine"])
    total = sum((Decimal(d.price) for d in drivers), Decimal("3.3")) + alpine.price
    total += car_base - Decimal("1.5")
    assert f"Budget <strong>{total:.1f}</strong>" in page
    body = await (await client.get(f"/api/v1/teams/{team.id}")).get_json()
    prices = {d["id"]: Decimal(str(d["price"])) for d in body["drivers"]}
    assert prices[driver.id] == base + Decimal("3.3")
    assert Decimal(str(body["budget_used"])) == total


async def test_a_new_grand_prix_team_costing_the_budget_at_moved_prices_is_the_edge(
    app: Quart,
    client: TestClientProtocol,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    races: list[Race],
    constructor_prices: dict[str, int],
) -> None:
    cars = [constructor_prices["alpine"], constructor_prices["haas"]]
    drivers = await Driver.filter(id__in=cheap)
    base = sum((Decimal(d.price) for d in drivers), Decimal("0.0"))
    base += sum((Decimal(c.price) for c in await Constructor.filter(id__in=cars)), Decimal("0.0"))
    first = await Driver.get(id=cheap[0])
    # After race 1 the lineup costs exactly the 100.0 budget in Grand Prix, below it in classic.
    await move_price(races[0], first, Decimal(first.price) + Decimal("100.0") - base)
    app.config["CLOCK"] = lambda: races[1].lock_at - timedelta(hours=1)
    await login(client, await make_user("alice"))
    token = await csrf_token_for(client)

    check = [*lineup_form(token, "Edge", cheap, cars, game="grand_prix"), ("check", "1")]
    status, fragment = await post_form(client, "/teams/new", check, htmx=True)
    assert status == 200 and "Budget <strong>100.0</strong> of 100.0" in fragment
    assert "0.0 left" in fragment and "Lineup is valid." in fragment

    # 0.1 more (a later move of a constructor) is refused, by the preview and by the save.
    haas = await Constructor.get(id=constructor_prices["haas"])
    await move_price(races[0], haas, Decimal(haas.price) + Decimal("0.1"))
    status, fragment = await post_form(client, "/teams/new", check, htmx=True)
    assert 'data-code="over_budget"' in fragment and "costs 100.1, budget is 100.0" in fragment
    status, page = await post_form(
        client, "/teams/new", lineup_form(token, "Edge", cheap, cars, game="grand_prix")
    )
    assert status == 422 and "costs 100.1, budget is 100.0" in page
    assert not await Team.filter(name="Edge").exists()
    # The same lineup in classic costs its starting prices, well within the budget.
    status, _ = await post_form(
        client, "/teams/new", lineup_form(token, "Classic edge", cheap, cars[:0], game="classic")
    )
    assert status == 303

    await AssetPrice.filter(constructor_id=haas.id).delete()
    status, _ = await post_form(
        client, "/teams/new", lineup_form(token, "Edge", cheap, cars, game="grand_prix")
    )
    assert status == 303
    team = await Team.get(name="Edge")
    lineup = await Lineup.get(team_id=team.id)
    assert lineup.bank == Decimal("0.0")


async def test_a_grand_prix_transfer_at_the_bank_edge_uses_the_shown_prices(
    app: Quart,
    client: TestClientProtocol,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    races: list[Race],
    constructor_prices: dict[str, int],
) -> None:
    alice = await make_user("alice")
    cars = [constructor_prices["alpine"], constructor_prices["haas"]]
    team = await create_team(
        owner=alice,
        name="Traders",
        driver_ids=cheap,
        captain_id=cheap[0],
        constructor_ids=cars,
        game="grand_prix",
        season=races[0].season_id,
        now=races[0].lock_at - timedelta(hours=2),
    )
    bank = (await Lineup.get(team_id=team.id)).bank
    assert bank is not None and bank > 0
    sold = await Driver.get(id=cheap[4])
    spare = (
        await Driver.filter(season_id=races[0].season_id)
        .exclude(id__in=cheap)
        .exclude(constructor_id=sold.constructor_id)  # type: ignore[attr-defined]
        .order_by("price", "id")
        .limit(2)
    )
    exact, dear = spare
    # After race 1: `exact` costs what selling `sold` and the bank hold, `dear` 0.1 more.
    await move_price(races[0], exact, Decimal(sold.price) + bank)
    await move_price(races[0], dear, Decimal(sold.price) + bank + Decimal("0.1"))
    app.config["CLOCK"] = lambda: races[1].lock_at - timedelta(hours=1)
    await login(client, alice)
    page = (await (await client.get(f"/teams/{team.id}")).get_data()).decode()
    assert shown_price(page, f"d-{exact.id}") == Decimal(sold.price) + bank
    assert shown_price(page, f"d-{dear.id}") == Decimal(sold.price) + bank + Decimal("0.1")
    token = await csrf_token_for(client)
    url = f"/teams/{team.id}"

    over = lineup_form(token, "Traders", [*cheap[:4], dear.id], cars)
    status, fragment = await post_form(client, url, [*over, ("check", "1")], htmx=True)
    assert 'data-code="insufficient_bank"' in fragment and "needs 0.1 more" in fragment
    status, page = await post_form(client, url, over)
    assert status == 422 and "needs 0.1 more than the bank holds" in page
    assert await Lineup.filter(team_id=team.id).count() == 1

    fits = lineup_form(token, "Traders", [*cheap[:4], exact.id], cars)
    status, fragment = await post_form(client, url, [*fits, ("check", "1")], htmx=True)
    assert "data-bank>0.0<" in fragment and "insufficient_bank" not in fragment
    status, _ = await post_form(client, url, fits)
    assert status == 303
    latest = await Lineup.filter(team_id=team.id).order_by("-saved_at").first()
    assert latest is not None and latest.bank == Decimal("0.0")

"""Prices per game: the starting price, then the latest race's row in a game with a market."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from webapp.errors import AppError
from webapp.market.prices import current_prices
from webapp.models import AssetPrice, Constructor, Driver, Race


async def _two_races(season: int) -> tuple[Race, Race]:
    races = await Race.filter(season_id=season).order_by("round").limit(2)
    return races[0], races[1]


async def test_without_moves_every_game_reads_the_starting_prices(
    season: int, constructor_prices: dict[str, int]
) -> None:
    drivers = {d.id: d.price for d in await Driver.filter(season_id=season)}
    constructors = {c.id: c.price for c in await Constructor.filter(season_id=season)}
    for game in ("classic", "grand_prix"):
        prices = await current_prices(game=game, season_id=season)
        assert dict(prices.drivers) == drivers
        assert dict(prices.constructors) == constructors


async def test_an_unpriced_constructor_has_no_current_price(season: int) -> None:
    (first, *_) = await Constructor.filter(season_id=season).order_by("ref")
    first.price = None
    await first.save(update_fields=["price"])
    prices = await current_prices(game="grand_prix", season_id=season)
    assert first.id not in prices.constructors
    assert len(prices.constructors) == await Constructor.filter(season_id=season).count() - 1
    assert len(prices.drivers) == await Driver.filter(season_id=season).count()


async def test_the_latest_round_sets_the_price_in_its_game_only(
    season: int, constructor_prices: dict[str, int]
) -> None:
    first, second = await _two_races(season)
    driver = await Driver.filter(season_id=season).order_by("-price").first()
    assert driver is not None
    constructor_id = next(iter(constructor_prices.values()))
    # Written out of round order: the round decides, not the row's id.
    await AssetPrice.create(
        game="grand_prix", season_id=season, race=second, driver=driver, price=Decimal("30.3")
    )
    await AssetPrice.create(
        game="grand_prix", season_id=season, race=first, driver=driver, price=Decimal("30.1")
    )
    await AssetPrice.create(
        game="grand_prix",
        season_id=season,
        race=first,
        constructor_id=constructor_id,
        price=Decimal("4.5"),
    )
    grand_prix = await current_prices(game="grand_prix", season_id=season)
    classic = await current_prices(game="classic", season_id=season)
    assert grand_prix.drivers[driver.id] == Decimal("30.3")
    assert grand_prix.constructors[constructor_id] == Decimal("4.5")
    assert classic.drivers[driver.id] == driver.price
    assert classic.constructors[constructor_id] == Decimal(10)
    # The classic (starting) price never moves with the market.
    assert (await Driver.get(id=driver.id)).price == driver.price


async def test_an_asset_is_priced_once_per_game_and_race(season: int) -> None:
    first, _ = await _two_races(season)
    driver = await Driver.filter(season_id=season).first()
    assert driver is not None
    await AssetPrice.create(
        game="grand_prix", season_id=season, race=first, driver=driver, price=Decimal("9.9")
    )
    with pytest.raises(IntegrityError):
        await AssetPrice.create(
            game="grand_prix", season_id=season, race=first, driver=driver, price=Decimal("9.7")
        )
    with pytest.raises(IntegrityError):
        await AssetPrice.create(game="grand_prix", season_id=season, race=first, price=Decimal(9))
    with pytest.raises(IntegrityError):
        await AssetPrice.create(
            game="grand_prix", season_id=season, race=first, driver=driver, price=Decimal(0)
        )


async def test_sql_joins_the_current_prices_of_a_game(season: int) -> None:
    first, _ = await _two_races(season)
    a, b = await Driver.filter(season_id=season).order_by("id").limit(2)
    await AssetPrice.create(
        game="grand_prix", season_id=season, race=first, driver=a, price=Decimal("7.7")
    )
    rows = await connections.get("default").execute_query_dict(
        "SELECT sum(p.price) AS cost FROM drivers d"
        " JOIN current_asset_prices($1) p ON p.driver_id = d.id WHERE d.id = ANY($2)",
        ["grand_prix", [a.id, b.id]],
    )
    assert rows[0]["cost"] == Decimal("7.7") + b.price


async def test_an_unknown_game_is_named(season: int) -> None:
    with pytest.raises(AppError) as caught:
        await current_prices(game="pinball", season_id=season)
    assert caught.value.code == "unknown_game"

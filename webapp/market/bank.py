"""A team's bank: buying costs an asset's current price, selling returns it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from webapp.market.prices import AssetPrices, current_prices

ZERO = Decimal("0.0")


async def asset_prices(*, game: str, season_id: int) -> AssetPrices:
    """Return the current price in `game` of each driver and priced constructor of a season."""
    return await current_prices(game=game, season_id=season_id)


def cost(
    prices: AssetPrices, *, driver_ids: Iterable[int], constructor_ids: Iterable[int]
) -> Decimal:
    """Return what the assets cost today; an asset without a price counts nothing."""
    cars = sum((prices.constructors.get(i, ZERO) for i in set(constructor_ids)), ZERO)
    return sum((prices.drivers.get(i, ZERO) for i in set(driver_ids)), ZERO) + cars


def bank_after(
    *,
    bank: Decimal,
    prices: AssetPrices,
    held: tuple[Iterable[int], Iterable[int]],
    picked: tuple[Iterable[int], Iterable[int]],
) -> Decimal:
    """Return the bank once the held assets not picked are sold and the new ones bought."""
    held_d, held_c = set(held[0]), set(held[1])
    new_d, new_c = set(picked[0]), set(picked[1])
    sold = cost(prices, driver_ids=held_d - new_d, constructor_ids=held_c - new_c)
    bought = cost(prices, driver_ids=new_d - held_d, constructor_ids=new_c - held_c)
    return bank + sold - bought

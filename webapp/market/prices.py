"""Every asset's price per game: the starting price, then one move after each race.

A driver or constructor starts at its bundled or admin price (`drivers.price`,
`constructors.price`), which the classic game always uses. In a game with a market the
price then moves once per race, and each move is a row of `asset_prices` (game, season,
race, asset, price; at most one row per game, race and asset). The current price of an
asset in a game is its row of the latest round, else its starting price, so a game
without a market (or a season before its first priced race) reads the starting prices.

SQL that needs current prices joins the function the migration 0009 made, with the game
as an argument; it is a single SELECT, so PostgreSQL inlines it and pushes filters down:

    current_asset_prices(game text)
        RETURNS TABLE (season_id int, driver_id int, constructor_id int, price numeric(5, 1))

One row per driver (constructor_id NULL) and per constructor (driver_id NULL) of every
season; `price` is NULL only for a constructor never priced. For example, a lineup's cost
in the Grand Prix game:

    SELECT sum(p.price)
    FROM lineup_drivers ld
    JOIN current_asset_prices('grand_prix') p ON p.driver_id = ld.driver_id
    WHERE ld.lineup_id = $1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from tortoise import connections

from webapp.games import registry

CURRENT_PRICES_SQL = """
SELECT p.driver_id, p.constructor_id, p.price
FROM current_asset_prices($1) p
WHERE p.season_id = $2 AND p.price IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class AssetPrices:
    """The current price of every driver and constructor of a season in one game, by id."""

    drivers: Mapping[int, Decimal]
    constructors: Mapping[int, Decimal]


async def current_prices(*, game: str, season_id: int) -> AssetPrices:
    """Return the current price of every asset of a season in `game` (unpriced ones left out)."""
    registry.get(game)
    rows = await connections.get("default").execute_query_dict(
        CURRENT_PRICES_SQL, [game, season_id]
    )
    drivers = {r["driver_id"]: r["price"] for r in rows if r["driver_id"] is not None}
    constructors = {
        r["constructor_id"]: r["price"] for r in rows if r["constructor_id"] is not None
    }
    return AssetPrices(
        drivers=MappingProxyType(drivers), constructors=MappingProxyType(constructors)
    )

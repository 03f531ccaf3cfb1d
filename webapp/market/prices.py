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

`price_histories` gives each asset's prices in a game race by race, its starting price
first (race_id and round None): what the API's `price_history` and the price charts show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from tortoise import connections

from webapp.games import registry

HISTORY_SQL = """
SELECT ap.driver_id, ap.constructor_id, ap.race_id, r.round, ap.price
FROM asset_prices ap JOIN races r ON r.id = ap.race_id
WHERE ap.game = $1 AND ap.season_id = $2
ORDER BY r.round
"""

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


@dataclass(frozen=True, slots=True)
class PricePoint:
    """An asset's price from a race on; race_id and round are None for the starting price."""

    race_id: int | None
    round: int | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class AssetHistories:
    """Every priced asset's prices of a season in one game, starting price first, by id."""

    drivers: Mapping[int, tuple[PricePoint, ...]]
    constructors: Mapping[int, tuple[PricePoint, ...]]


async def price_histories(*, game: str, season_id: int) -> AssetHistories:
    """Return each asset's price history in `game` (unpriced constructors left out)."""
    registry.get(game)
    conn = connections.get("default")
    moves = await conn.execute_query_dict(HISTORY_SQL, [game, season_id])
    starts = await conn.execute_query_dict(
        "SELECT id AS driver_id, NULL::int AS constructor_id, price FROM drivers"
        " WHERE season_id = $1 UNION ALL"
        " SELECT NULL::int, id, price FROM constructors"
        " WHERE season_id = $1 AND price IS NOT NULL",
        [season_id],
    )
    drivers: dict[int, list[PricePoint]] = {}
    constructors: dict[int, list[PricePoint]] = {}
    for row in [*starts, *moves]:
        point = PricePoint(row.get("race_id"), row.get("round"), row["price"])
        if row["driver_id"] is not None:
            drivers.setdefault(row["driver_id"], []).append(point)
        else:
            constructors.setdefault(row["constructor_id"], []).append(point)
    return AssetHistories(
        drivers=MappingProxyType({k: tuple(v) for k, v in drivers.items()}),
        constructors=MappingProxyType({k: tuple(v) for k, v in constructors.items()}),
    )


def price_at(history: tuple[PricePoint, ...], *, round: int) -> Decimal | None:
    """Return the price an asset had after round `round`, from its history (None: unpriced)."""
    price = None
    for point in history:
        if point.round is None or point.round <= round:
            price = point.price
    return price


async def market_histories(*, season_id: int) -> dict[str, AssetHistories]:
    """Return the price histories of a season in every game with a market, by game name."""
    return {
        game.name: await price_histories(game=game.name, season_id=season_id)
        for game in registry.all()
        if game.market is not None
    }


@dataclass(frozen=True, slots=True)
class GamePrices:
    """One market game's current prices of a season, to show beside the classic price."""

    game: str
    title: str
    prices: AssetPrices

    def driver(self, driver_id: int) -> Decimal | None:
        """Return a driver's current price in this game (None: unknown to the season)."""
        return self.prices.drivers.get(driver_id)

    def constructor(self, constructor_id: int) -> Decimal | None:
        """Return a constructor's current price in this game (None: never priced)."""
        return self.prices.constructors.get(constructor_id)


async def market_prices(*, season_id: int) -> list[GamePrices]:
    """Return the current prices of a season in every game with a market, in the games' order."""
    return [
        GamePrices(game.name, game.title, await current_prices(game=game.name, season_id=season_id))
        for game in registry.all()
        if game.market is not None
    ]

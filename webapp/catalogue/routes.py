"""Catalogue endpoints: constructors, drivers and races."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from webapp import cache
from webapp.catalogue import queries
from webapp.games import registry
from webapp.market.prices import AssetHistories, PricePoint, market_histories
from webapp.models import Constructor, Driver, Race
from webapp.running import season_now
from webapp.schemas import ApiModel, Number, Page, UtcDatetime

api = Blueprint("catalogue_api", __name__)
# A season's drivers with prices and points, until a driver changes (the `drivers` generation).
DRIVER_LISTS = cache.Namespace("drivers")


class SeasonQuery(Page):
    season: int | None = None


class PricePointOut(ApiModel):
    # The race after which the price was set; null for the starting price.
    race_id: int | None
    round: int | None
    price: Number


class ConstructorOut(ApiModel):
    id: int
    ref: str
    name: str
    season: int
    # The starting price, which games without a market always charge; null until priced.
    price: Number | None
    # The current price in every game, by game name (null while unpriced).
    prices: dict[str, Number | None]
    # Per game with a market: the starting price, then the price after each race it moved.
    price_history: dict[str, list[PricePointOut]]


class ConstructorRef(ApiModel):
    id: int
    ref: str
    name: str


class DriverOut(ApiModel):
    id: int
    ref: str
    code: str
    number: int | None
    first_name: str
    last_name: str
    constructor: ConstructorRef | None
    # The starting price, which games without a market always charge.
    price: Number
    # The current price in every game, by game name.
    prices: dict[str, Number]
    # Per game with a market: the starting price, then the price after each race it moved.
    price_history: dict[str, list[PricePointOut]]
    season_points: int


class DriverOfTheDayOut(ApiModel):
    id: int
    ref: str
    code: str
    first_name: str
    last_name: str


class RaceOut(ApiModel):
    id: int
    season: int
    round: int
    name: str
    circuit: str
    country: str
    starts_at: UtcDatetime
    lock_at: UtcDatetime
    status: str
    # Entered by an admin; null until then.
    driver_of_the_day: DriverOfTheDayOut | None


class ConstructorList(ApiModel):
    items: list[ConstructorOut]
    total: int


class DriverList(ApiModel):
    items: list[DriverOut]
    total: int


class RaceList(ApiModel):
    items: list[RaceOut]
    total: int


Markets = dict[str, AssetHistories]


def _history(points: tuple[PricePoint, ...]) -> list[PricePointOut]:
    return [PricePointOut(race_id=p.race_id, round=p.round, price=p.price) for p in points]


def _prices(
    start: Decimal | None, histories: dict[str, tuple[PricePoint, ...]]
) -> dict[str, Decimal | None]:
    """Return an asset's current price per game: its market's latest, else its start."""
    return {
        game.name: histories[game.name][-1].price if histories.get(game.name) else start
        for game in registry.all()
    }


def constructor_out(team: Constructor, markets: Markets | None = None) -> ConstructorOut:
    """Shape a constructor of the catalogue, with its prices in each game, for the API."""
    start = None if team.price is None else Decimal(team.price)
    histories = {
        name: market.constructors.get(team.id, ()) for name, market in (markets or {}).items()
    }
    return ConstructorOut(
        id=team.id,
        ref=team.ref,
        name=team.name,
        season=team.season_id,
        price=start,
        prices=_prices(start, histories),
        price_history={name: _history(points) for name, points in histories.items()},
    )


def constructor_ref(team: Constructor | None) -> ConstructorRef | None:
    """Shape a driver's constructor, when it has one, for the API."""
    return ConstructorRef(id=team.id, ref=team.ref, name=team.name) if team else None


def driver_out(driver: Driver, markets: Markets | None = None) -> DriverOut:
    """Shape a driver (with its constructor loaded), with its prices in each game, for the API."""
    start = Decimal(driver.price)
    histories = {
        name: market.drivers.get(driver.id, ()) for name, market in (markets or {}).items()
    }
    return DriverOut(
        id=driver.id,
        ref=driver.ref,
        code=driver.code,
        number=driver.number,
        first_name=driver.first_name,
        last_name=driver.last_name,
        constructor=constructor_ref(driver.constructor),
        price=start,
        prices={name: price or start for name, price in _prices(start, histories).items()},
        price_history={name: _history(points) for name, points in histories.items()},
        season_points=driver.season_points,
    )


def race_out(race: Race) -> RaceOut:
    """Shape a race (with its Driver of the Day loaded, see queries) for the API."""
    dotd = None
    if race.driver_of_the_day_id is not None:
        driver = race.driver_of_the_day
        if not isinstance(driver, Driver):
            raise TypeError("load the race's driver_of_the_day before shaping it")
        dotd = DriverOfTheDayOut(
            id=driver.id,
            ref=driver.ref,
            code=driver.code,
            first_name=driver.first_name,
            last_name=driver.last_name,
        )
    return RaceOut(
        id=race.id,
        season=race.season_id,
        round=race.round,
        name=race.name,
        circuit=race.circuit,
        country=race.country,
        starts_at=race.starts_at,
        lock_at=race.lock_at,
        status=str(race.status),
        driver_of_the_day=dotd,
    )


@api.get("/constructors")
@validate_querystring(SeasonQuery)
@validate_response(ConstructorList)
async def constructors(query_args: SeasonQuery) -> ConstructorList:
    """List a season's constructors with their prices in each game (public)."""
    season = query_args.season or await season_now()
    rows = await queries.list_constructors(season=season)
    markets = await market_histories(season_id=season)
    items = [constructor_out(c, markets) for c in query_args.window(rows)]
    return ConstructorList(items=items, total=len(rows))


@api.get("/drivers")
@validate_querystring(SeasonQuery)
@validate_response(DriverList)
async def drivers(query_args: SeasonQuery) -> DriverList:
    """List a season's drivers with prices and season points (public; cached in Redis)."""
    season = query_args.season or await season_now()

    async def build() -> list[dict[str, Any]]:
        drivers = await queries.list_drivers(season=season)
        markets = await market_histories(season_id=season)
        return [driver_out(d, markets).model_dump(mode="json") for d in drivers]

    rows = await cache.cached(key=DRIVER_LISTS.key(season), build=build, gens=[cache.DRIVERS])
    items = [DriverOut.model_validate(row) for row in query_args.window(rows)]
    return DriverList(items=items, total=len(rows))


@api.get("/races")
@validate_querystring(SeasonQuery)
@validate_response(RaceList)
async def races(query_args: SeasonQuery) -> RaceList:
    """List a season's calendar (public)."""
    season = query_args.season or await season_now()
    rows = await queries.list_races(season=season)
    return RaceList(items=[race_out(r) for r in query_args.window(rows)], total=len(rows))


@api.get("/races/<int:race_id>")
@validate_response(RaceOut)
async def race(race_id: int) -> RaceOut:
    """Return one race (public)."""
    return race_out(await queries.get_race(race_id=race_id))

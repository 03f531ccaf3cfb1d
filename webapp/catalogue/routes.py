"""Catalogue endpoints: constructors, drivers and races."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from webapp import cache
from webapp.catalogue import queries
from webapp.models import Constructor, Driver, Race
from webapp.running import season_now
from webapp.schemas import ApiModel, Number, Page, UtcDatetime

api = Blueprint("catalogue_api", __name__)
# A season's drivers with prices and points, until a driver changes (the `drivers` generation).
DRIVER_LISTS = cache.Namespace("drivers")


class SeasonQuery(Page):
    season: int | None = None


class ConstructorOut(ApiModel):
    id: int
    ref: str
    name: str
    season: int
    # What a game whose lineups hold constructors charges; null until priced.
    price: Number | None


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
    price: Number
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


def constructor_out(team: Constructor) -> ConstructorOut:
    """Shape a constructor of the catalogue for the API."""
    return ConstructorOut(
        id=team.id,
        ref=team.ref,
        name=team.name,
        season=team.season_id,
        price=None if team.price is None else Decimal(team.price),
    )


def constructor_ref(team: Constructor | None) -> ConstructorRef | None:
    """Shape a driver's constructor, when it has one, for the API."""
    return ConstructorRef(id=team.id, ref=team.ref, name=team.name) if team else None


def driver_out(driver: Driver) -> DriverOut:
    """Shape a driver (with its constructor loaded) for the API."""
    return DriverOut(
        id=driver.id,
        ref=driver.ref,
        code=driver.code,
        number=driver.number,
        first_name=driver.first_name,
        last_name=driver.last_name,
        constructor=constructor_ref(driver.constructor),
        price=Decimal(driver.price),
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
    """List a season's constructors (public)."""
    season = query_args.season or await season_now()
    rows = await queries.list_constructors(season=season)
    items = [constructor_out(c) for c in query_args.window(rows)]
    return ConstructorList(items=items, total=len(rows))


@api.get("/drivers")
@validate_querystring(SeasonQuery)
@validate_response(DriverList)
async def drivers(query_args: SeasonQuery) -> DriverList:
    """List a season's drivers with prices and season points (public; cached in Redis)."""
    season = query_args.season or await season_now()

    async def build() -> list[dict[str, Any]]:
        drivers = await queries.list_drivers(season=season)
        return [driver_out(d).model_dump(mode="json") for d in drivers]

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

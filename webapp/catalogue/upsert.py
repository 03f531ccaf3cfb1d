"""Create or update a season's catalogue rows: the season file and the feed sync both call it.

Prices are ours: an existing driver keeps his price whatever the source says. A driver
new to the season costs what his source seeds (the season file's price), else the lowest
price any driver of that season has (a newcomer has no record to rank him by, and the
cheapest seat is the fair start; admins adjust it), or DEFAULT_NEW_PRICE when the season
has no drivers yet. Constructors follow the same rule: an existing price stays, a
constructor with none yet (or new) takes its source's price, else the lowest price of the
season's priced constructors, else stays unpriced (null) until a source or an admin prices
it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from webapp.models import Constructor, Driver, Race, Season
from webapp.progress import Progress, quiet

DEFAULT_NEW_PRICE = Decimal("6.0")
LOCK_FALLBACK = timedelta(hours=24)
RACE_TIMES = ("starts_at", "qualifying_at", "sprint_qualifying_at", "sprint_at")
KINDS = ("seasons", "constructors", "drivers", "races")


def lock_time(
    *,
    starts_at: datetime,
    qualifying_at: datetime | None,
    sprint_qualifying_at: datetime | None,
) -> datetime:
    """Return when lineups lock: sprint qualifying, else qualifying, else 24 h before the race."""
    if sprint_qualifying_at is not None:
        return sprint_qualifying_at
    if qualifying_at is not None:
        return qualifying_at
    return starts_at - LOCK_FALLBACK


class ConstructorValues(TypedDict):
    """The constructor columns a source decides."""

    name: str
    nationality: str


class DriverValues(TypedDict):
    """The driver columns a source decides (the team and the price follow their own rules)."""

    code: str
    number: int | None
    first_name: str
    last_name: str
    nationality: str


class RaceValues(TypedDict):
    """The race columns a source decides; the lock time follows from them."""

    name: str
    circuit: str
    locality: str
    country: str
    starts_at: datetime
    qualifying_at: datetime | None
    sprint_qualifying_at: datetime | None
    sprint_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConstructorEntry:
    """One constructor of the season, by ref."""

    ref: str
    values: ConstructorValues
    # Prices a new or unpriced row only; None prices it by the rule above.
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DriverEntry:
    """One driver of the season, by ref, with the teams he may drive for."""

    ref: str
    values: DriverValues
    # Constructor refs, the first preferred: a driver already in one of them stays there
    # (the feed lists a mid-season move under both teams); none leaves his team alone.
    teams: tuple[str, ...] = ()
    # Seeds a new row only; None prices a newcomer by the rule above.
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RaceEntry:
    """One race of the calendar, by round."""

    round: int
    values: RaceValues


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A season's constructors, drivers and calendar as one source states them."""

    season: int
    name: str
    # The season file names its season; the feed has no name, so it only names a new one.
    rename: bool
    constructors: Sequence[ConstructorEntry]
    drivers: Sequence[DriverEntry]
    races: Sequence[RaceEntry]


async def new_driver_price(*, season: int, conn: BaseDBAsyncClient) -> Decimal:
    """Return the price of a driver new to the season, by the rule above."""
    rows = await conn.execute_query_dict(
        "SELECT min(price) AS low FROM drivers WHERE season_id = $1", [season]
    )
    low = rows[0]["low"] if rows else None
    return Decimal(str(low)) if low is not None else DEFAULT_NEW_PRICE


async def new_constructor_price(*, season: int, conn: BaseDBAsyncClient) -> Decimal | None:
    """Return the price of a constructor new to the season, by the rule above."""
    rows = await conn.execute_query_dict(
        "SELECT min(price) AS low FROM constructors WHERE season_id = $1", [season]
    )
    low = rows[0]["low"] if rows else None
    return Decimal(str(low)) if low is not None else None


def _apply(row: Model, values: Mapping[str, object]) -> list[str]:
    """Set the values that differ on the row and return their names."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


class _Writer:
    """Create or update rows inside one connection, counting what it does per kind."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.conn = conn
        self.counts = {f"{kind}_{verb}": 0 for kind in KINDS for verb in ("created", "updated")}

    async def put[M: Model](
        self,
        model: type[M],
        existing: M | None,
        values: Mapping[str, object],
        *,
        kind: str,
        created: Mapping[str, object],
    ) -> M:
        if existing is None:
            self.counts[f"{kind}_created"] += 1
            return await model.create(using_db=self.conn, **values, **created)
        changed = _apply(existing, values)
        if changed:
            self.counts[f"{kind}_updated"] += 1
            await existing.save(using_db=self.conn, update_fields=changed)
        return existing


async def upsert_catalogue(
    *, catalogue: Catalogue, conn: BaseDBAsyncClient, progress: Progress = quiet
) -> dict[str, int]:
    """Create or update the catalogue's rows on `conn`; return how many of each were made."""
    write = _Writer(conn)
    year = catalogue.season
    season = await Season.filter(year=year).using_db(conn).first()
    named = {"name": catalogue.name}
    await write.put(
        Season,
        season,
        named if catalogue.rename else {},
        kind="seasons",
        created={"year": year} if catalogue.rename else {"year": year, **named},
    )

    teams = {row.ref: row for row in await Constructor.filter(season_id=year).using_db(conn)}
    progress("constructors", 0, len(catalogue.constructors))
    for done, team in enumerate(catalogue.constructors, start=1):
        existing = teams.get(team.ref)
        team_values: dict[str, Any] = dict(team.values)
        price = team.price
        if price is None and (existing is None or existing.price is None):
            price = await new_constructor_price(season=year, conn=conn)
        if existing is not None and existing.price is None and price is not None:
            team_values["price"] = price
        teams[team.ref] = await write.put(
            Constructor,
            existing,
            team_values,
            kind="constructors",
            created={"season_id": year, "ref": team.ref, "price": price},
        )
        progress("constructors", done, len(catalogue.constructors))

    drivers = {row.ref: row for row in await Driver.filter(season_id=year).using_db(conn)}
    progress("drivers", 0, len(catalogue.drivers))
    for done, driver in enumerate(catalogue.drivers, start=1):
        row = drivers.get(driver.ref)
        values: dict[str, Any] = dict(driver.values)
        listed = [teams[ref].id for ref in driver.teams if ref in teams]
        if listed and (row is None or row.constructor_id not in listed):
            values["constructor_id"] = listed[0]
        created: dict[str, object] = {"season_id": year, "ref": driver.ref}
        if row is None and driver.price is not None:
            created["price"] = driver.price
        elif row is None:
            created["price"] = await new_driver_price(season=year, conn=conn)
        drivers[driver.ref] = await write.put(Driver, row, values, kind="drivers", created=created)
        progress("drivers", done, len(catalogue.drivers))

    races = {row.round: row for row in await Race.filter(season_id=year).using_db(conn)}
    progress("races", 0, len(catalogue.races))
    for done, race in enumerate(catalogue.races, start=1):
        race_row = races.get(race.round)
        times: dict[str, Any] = dict(race.values)
        # An admin may have moved lock_at; only a calendar change recomputes it.
        if race_row is None or any(getattr(race_row, name) != times[name] for name in RACE_TIMES):
            times["lock_at"] = lock_time(
                starts_at=race.values["starts_at"],
                qualifying_at=race.values["qualifying_at"],
                sprint_qualifying_at=race.values["sprint_qualifying_at"],
            )
        await write.put(
            Race,
            race_row,
            times,
            kind="races",
            created={"season_id": year, "round": race.round},
        )
        progress("races", done, len(catalogue.races))
    return write.counts

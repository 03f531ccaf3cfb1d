"""Import a season's constructors, drivers and calendar from the results feed.

The feed's names, dates and times win over what the bundled file said. Prices are ours:
an existing driver keeps his price; a driver new to the season costs the lowest price any
driver of that season has (a newcomer has no record to rank him by, and the cheapest seat
is the fair start; admins adjust it), or DEFAULT_NEW_PRICE when the season has no drivers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from webapp import cache
from webapp.catalogue.loader import RACE_TIMES, lock_time
from webapp.models import Constructor, Driver, Race, Season
from webapp.results import feed_models as fm
from webapp.results.feed import FeedClient, FeedError

DEFAULT_NEW_PRICE = Decimal("6.0")
# The API's driver constructor is the one of the driver's latest result in the season.
LATEST_CONSTRUCTOR_SQL = """
UPDATE drivers d SET constructor_id = latest.constructor_id
FROM (
    SELECT DISTINCT ON (rr.driver_id) rr.driver_id, rr.constructor_id
    FROM race_results rr
    JOIN races r ON r.id = rr.race_id AND rr.version = r.results_version
    WHERE r.season_id = $1
    ORDER BY rr.driver_id, r.round DESC
) AS latest
WHERE d.id = latest.driver_id AND d.constructor_id IS DISTINCT FROM latest.constructor_id
"""
CODE_RE = re.compile(r"^[A-Z]{3}$")


async def new_driver_price(*, season: int, conn: BaseDBAsyncClient) -> Decimal:
    """Return the price of a driver new to the season, by the rule above."""
    rows = await conn.execute_query_dict(
        "SELECT min(price) AS low FROM drivers WHERE season_id = $1", [season]
    )
    low = rows[0]["low"] if rows else None
    return Decimal(str(low)) if low is not None else DEFAULT_NEW_PRICE


def driver_values(info: fm.FeedDriver) -> dict[str, Any]:
    """Return the driver columns the feed decides."""
    number = info.permanentNumber
    return {
        "code": info.code.upper() if CODE_RE.match(info.code.upper()) else "",
        "number": number if number is not None and 0 <= number <= 99 else None,
        "first_name": info.givenName[:60],
        "last_name": info.familyName[:60],
        "nationality": info.nationality[:60],
    }


def race_values(race: fm.FeedRace) -> dict[str, Any]:
    """Return the race columns the feed decides."""
    sprint_qualifying = race.sprint_qualifying
    return {
        "name": race.raceName,
        "circuit": race.Circuit.circuitName,
        "locality": race.Circuit.Location.locality[:100],
        "country": race.Circuit.Location.country,
        "starts_at": race.starts_at,
        "qualifying_at": race.Qualifying.starts_at if race.Qualifying else None,
        "sprint_qualifying_at": sprint_qualifying.starts_at if sprint_qualifying else None,
        "sprint_at": race.Sprint.starts_at if race.Sprint else None,
    }


def _apply(row: Any, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


async def sync_season(*, season: int, client: FeedClient) -> dict[str, int]:
    """Fetch the season from the feed, then create or update its rows in one transaction."""
    races = await client.races(season)
    constructors = await client.constructors(season)
    drivers = await client.drivers(season)
    if not races or not constructors:
        raise FeedError("not_found", f"the feed has no calendar or constructors for {season}")
    teams_of: dict[str, list[str]] = {}
    for constructor in constructors:
        for driver in await client.constructor_drivers(season, constructor.constructorId):
            teams_of.setdefault(driver.driverId, []).append(constructor.constructorId)
    counts = {
        f"{kind}_{verb}": 0
        for kind in ("seasons", "constructors", "drivers", "races")
        for verb in ("created", "updated")
    }

    async with in_transaction() as conn:
        if not await Season.filter(year=season).using_db(conn).exists():
            await Season.create(
                using_db=conn, year=season, name=f"{season} Formula 1 World Championship"
            )
            counts["seasons_created"] += 1

        rows_c = {c.ref: c for c in await Constructor.filter(season_id=season).using_db(conn)}
        for team in constructors:
            team_values: dict[str, Any] = {"name": team.name, "nationality": team.nationality[:60]}
            team_row = rows_c.get(team.constructorId)
            if team_row is None:
                rows_c[team.constructorId] = await Constructor.create(
                    using_db=conn, season_id=season, ref=team.constructorId, **team_values
                )
                counts["constructors_created"] += 1
            elif changed := _apply(team_row, team_values):
                await team_row.save(using_db=conn, update_fields=changed)
                counts["constructors_updated"] += 1

        rows_d = {d.ref: d for d in await Driver.filter(season_id=season).using_db(conn)}
        for info in drivers:
            values = driver_values(info)
            row = rows_d.get(info.driverId)
            listed = [rows_c[ref].id for ref in teams_of.get(info.driverId, []) if ref in rows_c]
            if listed and (row is None or row.constructor_id not in listed):
                values["constructor_id"] = listed[0]
            if row is None:
                price = await new_driver_price(season=season, conn=conn)
                rows_d[info.driverId] = await Driver.create(
                    using_db=conn, season_id=season, ref=info.driverId, price=price, **values
                )
                counts["drivers_created"] += 1
            elif changed := _apply(row, values):
                await row.save(using_db=conn, update_fields=changed)
                counts["drivers_updated"] += 1

        rows_r = {r.round: r for r in await Race.filter(season_id=season).using_db(conn)}
        for item in races:
            values = race_values(item)
            race_row = rows_r.get(item.round)
            # An admin may have moved lock_at; only a calendar change recomputes it.
            if race_row is None or any(getattr(race_row, n) != values[n] for n in RACE_TIMES):
                values["lock_at"] = lock_time(
                    starts_at=values["starts_at"],
                    qualifying_at=values["qualifying_at"],
                    sprint_qualifying_at=values["sprint_qualifying_at"],
                )
            if race_row is None:
                await Race.create(using_db=conn, season_id=season, round=item.round, **values)
                counts["races_created"] += 1
            elif changed := _apply(race_row, values):
                await race_row.save(using_db=conn, update_fields=changed)
                counts["races_updated"] += 1

        await conn.execute_query(LATEST_CONSTRUCTOR_SQL, [season])
    await cache.bump(cache.DRIVERS, cache.RACES, cache.SEASONS)
    return counts

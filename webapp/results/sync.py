"""Import a season's constructors, drivers and calendar from the results feed.

The feed's names, dates and times win over what the bundled file said; prices stay ours
(`webapp.catalogue.upsert` says how a newcomer is priced).
"""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from webapp import cache
from webapp.catalogue.upsert import (
    Catalogue,
    ConstructorEntry,
    DriverEntry,
    DriverValues,
    RaceEntry,
    RaceValues,
    upsert_catalogue,
)
from webapp.progress import Progress, quiet
from webapp.results import feed_models as fm
from webapp.results.feed import FeedClient, FeedError

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


def driver_values(info: fm.FeedDriver) -> DriverValues:
    """Return the driver columns the feed decides."""
    number = info.permanentNumber
    return {
        "code": info.code.upper() if CODE_RE.match(info.code.upper()) else "",
        "number": number if number is not None and 0 <= number <= 99 else None,
        "first_name": info.givenName[:60],
        "last_name": info.familyName[:60],
        "nationality": info.nationality[:60],
    }


def race_values(race: fm.FeedRace) -> RaceValues:
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


async def sync_season(
    *, season: int, client: FeedClient, progress: Progress = quiet
) -> dict[str, int]:
    """Fetch the season from the feed, then create or update its rows in one transaction."""
    progress("feed: calendar and entrants", 0, 3)
    races = await client.races(season)
    progress("feed: calendar and entrants", 1, 3)
    constructors = await client.constructors(season)
    progress("feed: calendar and entrants", 2, 3)
    drivers = await client.drivers(season)
    progress("feed: calendar and entrants", 3, 3)
    if not races or not constructors:
        raise FeedError("not_found", f"the feed has no calendar or constructors for {season}")
    teams_of: dict[str, list[str]] = {}
    progress("feed: each constructor's drivers", 0, len(constructors))
    for done, constructor in enumerate(constructors, start=1):
        for driver in await client.constructor_drivers(season, constructor.constructorId):
            teams_of.setdefault(driver.driverId, []).append(constructor.constructorId)
        progress("feed: each constructor's drivers", done, len(constructors))
    catalogue = Catalogue(
        season=season,
        name=f"{season} Formula 1 World Championship",
        rename=False,
        constructors=[
            ConstructorEntry(
                ref=team.constructorId,
                values={"name": team.name, "nationality": team.nationality[:60]},
            )
            for team in constructors
        ],
        drivers=[
            DriverEntry(
                ref=info.driverId,
                values=driver_values(info),
                teams=tuple(teams_of.get(info.driverId, ())),
            )
            for info in drivers
        ],
        races=[RaceEntry(round=item.round, values=race_values(item)) for item in races],
    )
    async with in_transaction() as conn:
        counts = await upsert_catalogue(catalogue=catalogue, conn=conn, progress=progress)
        await conn.execute_query(LATEST_CONSTRUCTOR_SQL, [season])
    await cache.bump(cache.DRIVERS, cache.RACES, cache.SEASONS)
    return counts

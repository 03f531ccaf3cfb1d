"""Results and Driver of the Day entered by an admin: the same checks and versioning as the feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from webapp import cache
from webapp.errors import AppError
from webapp.models import Driver, Race, ResultSource
from webapp.pipeline import StoreOutcome, rescore_race, store_results
from webapp.results.rows import ResultRow, ResultSet, ResultsInvalid, official_points

POSITION_TEXTS = ("R", "D", "E", "W", "F", "N")


@dataclass(frozen=True, slots=True)
class ManualItem:
    driver_id: int
    position_text: str
    grid: int
    laps: int
    status: str
    fastest_lap_rank: int | None


def _invalid(problems: dict[str, str]) -> AppError:
    summary = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:5])
    return AppError(
        "validation_error",
        f"Invalid results ({summary})",
        details={"fields": problems},
        field=next(iter(problems)),
    )


async def enter_results(
    *, race_id: int, items: list[ManualItem], admin_id: int, now: datetime | None = None
) -> StoreOutcome:
    """Store an admin's results for a race as a new version, then rescore and notify."""
    race = await Race.get_or_none(id=race_id)
    if race is None:
        raise AppError.not_found("No such race")
    season: int = race.season_id
    drivers = {
        d.id: d
        for d in await Driver.filter(
            season_id=season, id__in=[i.driver_id for i in items]
        ).select_related("constructor")
    }
    problems: dict[str, str] = {}
    for index, item in enumerate(items):
        text = item.position_text.strip().upper()
        driver = drivers.get(item.driver_id)
        if driver is None:
            raise AppError(
                "unknown_driver",
                f"Driver {item.driver_id} is not a driver of the {season} season",
                field=f"items[{index}].driver_id",
                details={"driver_id": item.driver_id},
            )
        if not (text.isdigit() or text in POSITION_TEXTS):
            problems[f"items[{index}].position_text"] = (
                "must be a finishing position (1, 2, …) or one of R, D, E, W, F, N"
            )
        if driver.constructor is None:
            problems[f"items[{index}].driver_id"] = (
                f"{driver.first_name} {driver.last_name} has no constructor: set one first"
            )
    if problems:
        raise _invalid(problems)
    # Classified drivers in finishing order, then the others in the order given.
    ordered = sorted(
        items,
        key=lambda i: (0, int(i.position_text)) if i.position_text.strip().isdigit() else (1, 0),
    )
    rows = []
    for order, item in enumerate(ordered, start=1):
        driver = drivers[item.driver_id]
        assert driver.constructor is not None  # checked above
        text = item.position_text.strip().upper()
        rank = item.fastest_lap_rank or None
        rows.append(
            ResultRow(
                driver_ref=driver.ref,
                constructor_ref=driver.constructor.ref,
                position_text=text,
                position_order=order,
                grid=item.grid,
                laps=item.laps,
                status=item.status.strip(),
                fastest_lap_rank=rank,
                points=official_points(position_text=text, fastest_lap_rank=rank, season=season)
                or Decimal(0),
            )
        )
    try:
        return await store_results(
            race_id=race_id,
            results=ResultSet(rows=tuple(rows), drivers={}, constructors={}),
            source=ResultSource.MANUAL,
            created_by_id=admin_id,
            now=now,
        )
    except ResultsInvalid as exc:
        raise _invalid(exc.problems) from None


async def set_driver_of_the_day(
    *, race_id: int, driver_id: int | None, now: datetime | None = None
) -> Race:
    """Set (or, with None, clear) a race's Driver of the Day and rescore the race with it.

    The driver must be one of the race's season. Setting what is already set changes and
    rescores nothing.
    """
    race = await Race.get_or_none(id=race_id)
    if race is None:
        raise AppError.not_found("No such race")
    if race.driver_of_the_day_id == driver_id:
        return race

    async def change() -> None:
        locked = await Race.select_for_update(no_key=True).get(id=race_id)
        if driver_id is not None and not await Driver.exists(
            id=driver_id, season_id=locked.season_id
        ):
            message = f"Driver {driver_id} is not a driver of the {locked.season_id} season"
            raise AppError(
                "unknown_driver",
                message,
                field="driver_id",
                details={"fields": {"driver_id": message}, "driver_id": driver_id},
            )
        locked.driver_of_the_day_id = driver_id
        await locked.save(update_fields=["driver_of_the_day_id"])

    await rescore_race(race_id=race_id, now=now, change=change)
    await cache.bump(cache.RACES)
    return await Race.get(id=race_id)

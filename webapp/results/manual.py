"""Results entered by an admin: the same checks and versioning as the feed's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from webapp.errors import AppError
from webapp.models import Driver, Race, ResultSource
from webapp.pipeline import StoreOutcome, store_results
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

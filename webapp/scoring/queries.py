"""Read scores: a team's points per race with the breakdown that explains them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp import gameclock
from webapp.errors import AppError
from webapp.models import Driver, LineupDriver, Race, RaceDriverScore, Team, TeamRaceScore
from webapp.scoring.systems import DEFAULT_SYSTEM, DriverScore


@dataclass(frozen=True, slots=True)
class BreakdownEntry(DriverScore):
    """One driver's line in a race score, with the driver for display."""

    driver: Driver | None = None


@dataclass(frozen=True, slots=True)
class RaceScore:
    """A team's score for one race."""

    race: Race
    points: int
    entries: list[BreakdownEntry]


async def team_scores(
    *, team_id: int, system: str = DEFAULT_SYSTEM, now: datetime | None = None
) -> list[RaceScore]:
    """Return a team's race scores in round order, only for races whose lineups have locked."""
    if not await Team.exists(id=team_id):
        raise AppError.not_found("No such team")
    now = now or gameclock.now()
    rows = (
        await TeamRaceScore.filter(team_id=team_id, scoring_system=system, race__lock_at__lte=now)
        .select_related("race", "lineup")
        .order_by("race__round")
    )
    if not rows:
        return []
    # A breakdown is the race's entries for the lineup's drivers, the captain's as captain.
    picks = await LineupDriver.filter(lineup_id__in={row.lineup_id for row in rows}).values_list(
        "lineup_id", "driver_id"
    )
    drivers_of: dict[int, list[int]] = {}
    for lineup_id, driver_id in picks:
        drivers_of.setdefault(int(lineup_id), []).append(int(driver_id))
    entries = {
        (e.race_id, e.driver_id, e.captain): e
        for e in await RaceDriverScore.filter(
            race_id__in={row.race.id for row in rows}, scoring_system=system
        ).select_related("driver")
    }
    return [
        RaceScore(
            race=row.race,
            points=row.points,
            entries=sorted(
                (
                    BreakdownEntry(
                        driver_id=driver_id,
                        captain=entry.captain,
                        position_points=entry.position_points,
                        bonus_points=entry.bonus_points,
                        multiplier=entry.multiplier,
                        points=entry.points,
                        driver=entry.driver,
                    )
                    for driver_id in drivers_of.get(row.lineup.id, [])
                    if (
                        entry := entries.get(
                            (row.race.id, driver_id, driver_id == row.lineup.captain_id)
                        )
                    )
                    is not None
                ),
                # Captain first, then by points: the order that answers "why this score?".
                key=lambda e: (not e.captain, -e.points, e.driver_id),
            ),
        )
        for row in rows
    ]


async def driver_points(*, race: Race, system: str = DEFAULT_SYSTEM) -> dict[int, int]:
    """Return each driver's own points (no captain) in the race's counting results."""
    rows = await RaceDriverScore.filter(
        race_id=race.id, scoring_system=system, result_version=race.results_version, captain=False
    ).values_list("driver_id", "points")
    return {int(driver_id): int(points) for driver_id, points in rows}

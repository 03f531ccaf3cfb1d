"""Read scores: a team's points per race with the breakdown that explains them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from webapp.errors import AppError
from webapp.models import Driver, Race, Team, TeamRaceScore
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
    now = now or datetime.now(UTC)
    rows = (
        await TeamRaceScore.filter(team_id=team_id, scoring_system=system, race__lock_at__lte=now)
        .select_related("race")
        .order_by("race__round")
    )
    ids = {entry["driver_id"] for row in rows for entry in row.breakdown}
    drivers = {d.id: d for d in await Driver.filter(id__in=ids)} if ids else {}
    return [
        RaceScore(
            race=row.race,
            points=row.points,
            entries=sorted(
                (
                    BreakdownEntry(
                        driver_id=entry["driver_id"],
                        captain=entry["captain"],
                        position_points=entry["position_points"],
                        bonus_points=entry["bonus_points"],
                        multiplier=entry["multiplier"],
                        points=entry["points"],
                        driver=drivers.get(entry["driver_id"]),
                    )
                    for entry in row.breakdown
                ),
                # Captain first, then by points: the order that answers "why this score?".
                key=lambda e: (not e.captain, -e.points, e.driver_id),
            ),
        )
        for row in rows
    ]

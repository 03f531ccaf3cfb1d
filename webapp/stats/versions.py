"""A race's public results versions, what changed between two, and what that did to my teams.

Only the counting version's scores are stored (team_race_scores, race_driver_scores), so a
team's points under an older version are worked out again here: the classic rules
(`score_driver`) applied to that version's race_results, for the lineup that counts for the
race now. For the counting version that is exactly what rescoring stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.errors import AppError
from webapp.models import (
    Driver,
    LineupDriver,
    Race,
    RaceResult,
    RaceStatus,
    ResultVersion,
    Team,
    TeamRaceScore,
)
from webapp.scoring.systems import CLASSIC, DEFAULT_SYSTEM, score_driver

# What a reader compares between two versions, in the order the diff shows them.
COMPARED = ("position_text", "status", "fastest_lap_rank", "grid", "laps", "constructor")
FIELD_NAMES = {
    "position_text": "position",
    "status": "status",
    "fastest_lap_rank": "fastest lap rank",
    "grid": "grid",
    "laps": "laps",
    "constructor": "constructor",
    "entry": "entry",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One moment of a race's results: a version published, or the results made final."""

    label: str  # "provisional", "revised" or "final"
    at: datetime
    version: int
    source: str = ""
    changed_drivers: int = 0


@dataclass(frozen=True, slots=True)
class Timeline:
    race: Race
    entries: list[TimelineEntry]

    @property
    def versions(self) -> list[int]:
        """Return the published version numbers, oldest first."""
        return sorted({e.version for e in self.entries if e.label != "final"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        """Return the field's name as a reader knows it."""
        return FIELD_NAMES.get(self.name, self.name)


@dataclass(frozen=True, slots=True)
class DriverChange:
    """One driver whose result differs between the two versions."""

    driver: Driver
    changes: list[FieldChange]


@dataclass(frozen=True, slots=True)
class TeamChange:
    """One of my teams in the race: its touched drivers and its points under each version."""

    team_id: int
    team_name: str
    touched: list[Driver]
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class VersionDiff:
    race: Race
    old: int
    new: int
    drivers: list[DriverChange]
    teams: list[TeamChange] = field(default_factory=list)


async def race_timeline(*, race_id: int) -> Timeline:
    """Return a race's versions as published (provisional, then revised) and when it went final."""
    race = await Race.get_or_none(id=race_id)
    if race is None:
        raise AppError.not_found("No such race")
    versions = await ResultVersion.filter(race_id=race_id).order_by("version")
    entries = [
        TimelineEntry(
            label="provisional" if index == 0 else "revised",
            at=v.created_at,
            version=v.version,
            source=str(v.source),
            changed_drivers=len(v.diff),
        )
        for index, v in enumerate(versions)
    ]
    if race.status == RaceStatus.FINAL and race.finalised_at is not None and versions:
        entries.append(TimelineEntry("final", race.finalised_at, race.results_version))
    entries.sort(key=lambda e: (e.at, e.label == "final"))
    return Timeline(race=race, entries=entries)


def pick_versions(
    timeline: Timeline, *, old: int | None, new: int | None
) -> tuple[int, int] | None:
    """Return the (old, new) pair to compare, the counting one and its predecessor by default."""
    versions = timeline.versions
    if len(versions) < 2:
        return None
    new = new if new is not None else timeline.race.results_version
    if new not in versions:
        raise _invalid(f"No version {new} of these results", field="to")
    if old is None:
        earlier = [v for v in versions if v < new]
        old = earlier[-1] if earlier else versions[0]
    if old not in versions:
        raise _invalid(f"No version {old} of these results", field="from")
    if old == new:
        raise _invalid("Pick two different versions", field="from")
    return old, new


def _row_values(row: RaceResult | None) -> dict[str, Any] | None:
    if row is None:
        return None
    values = {name: getattr(row, name) for name in COMPARED if name != "constructor"}
    # Loaded with the row: a reader knows a constructor by its name, not its id.
    values["constructor"] = row.constructor.name
    return values


def driver_changes(
    old_rows: dict[int, RaceResult], new_rows: dict[int, RaceResult]
) -> dict[int, list[FieldChange]]:
    """Return, per driver id, the compared fields that differ between two sets of rows."""
    changed: dict[int, list[FieldChange]] = {}
    for driver_id in old_rows.keys() | new_rows.keys():
        a, b = _row_values(old_rows.get(driver_id)), _row_values(new_rows.get(driver_id))
        if a is None or b is None:
            presence = ("absent" if a is None else "present", "absent" if b is None else "present")
            changed[driver_id] = [FieldChange("entry", *presence)]
            continue
        fields = [FieldChange(name, a[name], b[name]) for name in COMPARED if a[name] != b[name]]
        if fields:
            changed[driver_id] = fields
    return changed


def lineup_points(rows: dict[int, RaceResult], *, driver_ids: list[int], captain_id: int) -> int:
    """Return a lineup's classic race points against one version's rows."""
    total = 0
    for driver_id in driver_ids:
        row = rows.get(driver_id)
        total += score_driver(
            CLASSIC,
            driver_id=driver_id,
            position_text=row.position_text if row else None,
            fastest_lap_rank=row.fastest_lap_rank if row else None,
            captain=driver_id == captain_id,
        ).points
    return total


async def _rows(race_id: int, version: int) -> dict[int, RaceResult]:
    return {
        r.driver_id: r
        for r in await RaceResult.filter(race_id=race_id, version=version).select_related(
            "driver", "constructor"
        )
    }


async def compare_versions(
    *, race_id: int, old: int | None = None, new: int | None = None, user_id: int | None = None
) -> VersionDiff | None:
    """Return what changed between two versions (None with fewer than two), and for my teams."""
    timeline = await race_timeline(race_id=race_id)
    pair = pick_versions(timeline, old=old, new=new)
    if pair is None:
        return None
    old, new = pair
    old_rows, new_rows = await _rows(race_id, old), await _rows(race_id, new)
    changed = driver_changes(old_rows, new_rows)
    drivers = {
        d.id: d for d in await Driver.filter(id__in=list(changed)).select_related("constructor")
    }

    def order(driver_id: int) -> tuple[int, int]:
        row = new_rows.get(driver_id) or old_rows.get(driver_id)
        return (row.position_order if row else 999, driver_id)

    diff = VersionDiff(
        race=timeline.race,
        old=old,
        new=new,
        drivers=[DriverChange(drivers[d], changed[d]) for d in sorted(changed, key=order)],
    )
    if user_id is not None:
        diff.teams.extend(
            await team_changes(
                race_id=race_id,
                user_id=user_id,
                old_rows=old_rows,
                new_rows=new_rows,
                changed=set(changed),
                drivers=drivers,
            )
        )
    return diff


async def team_changes(
    *,
    race_id: int,
    user_id: int,
    old_rows: dict[int, RaceResult],
    new_rows: dict[int, RaceResult],
    changed: set[int],
    drivers: dict[int, Driver],
) -> list[TeamChange]:
    """Return each of the user's teams scored in the race with its points under both versions."""
    scores = (
        await TeamRaceScore.filter(
            race_id=race_id, scoring_system=DEFAULT_SYSTEM, team__owner_id=user_id
        )
        .select_related("lineup")
        .order_by("team_id")
    )
    if not scores:
        return []
    names = dict(await Team.filter(id__in=[s.team_id for s in scores]).values_list("id", "name"))
    picks: dict[int, list[int]] = {}
    for lineup_id, driver_id in await LineupDriver.filter(
        lineup_id__in=[s.lineup_id for s in scores]
    ).values_list("lineup_id", "driver_id"):
        picks.setdefault(int(lineup_id), []).append(int(driver_id))
    teams = []
    for score in scores:
        ids = sorted(picks.get(score.lineup_id, []))
        captain = score.lineup.captain_id
        teams.append(
            TeamChange(
                team_id=score.team_id,
                team_name=str(names.get(score.team_id, "")),
                touched=[drivers[d] for d in ids if d in changed and d in drivers],
                before=lineup_points(old_rows, driver_ids=ids, captain_id=captain),
                after=lineup_points(new_rows, driver_ids=ids, captain_id=captain),
            )
        )
    return teams


def _invalid(message: str, *, field: str) -> AppError:
    return AppError("validation_error", message, details={"fields": {field: message}}, field=field)

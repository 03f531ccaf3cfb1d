"""Read scores: a team's points per race with the breakdown that explains them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from webapp import gameclock
from webapp.errors import AppError
from webapp.models import (
    Constructor,
    Driver,
    LineupConstructor,
    LineupDriver,
    Race,
    RaceAssetScore,
    RaceDriverScore,
    Team,
    TeamRaceScore,
)
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


@dataclass(frozen=True, slots=True)
class AssetLine:
    """One asset's share of a weekend score, per session, with the asset for display."""

    kind: str
    driver_id: int | None
    constructor_id: int | None
    captain: bool
    qualifying_points: int
    sprint_points: int
    race_points: int
    bonus_points: int
    captain_points: int
    points: int
    driver: Driver | None = None
    constructor: Constructor | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the line as the scores API shows it."""
        return {
            "kind": self.kind,
            "driver_id": self.driver_id,
            "constructor_id": self.constructor_id,
            "captain": self.captain,
            "qualifying_points": self.qualifying_points,
            "sprint_points": self.sprint_points,
            "race_points": self.race_points,
            "bonus_points": self.bonus_points,
            "captain_points": self.captain_points,
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class WeekendScore:
    """A team's score for one race weekend under a game scored per session."""

    race: Race
    points: int
    assets: list[AssetLine]
    # A market game's transfer penalty (a line of its own) and the chip played.
    penalty_points: int = 0
    chip: str | None = None


async def weekend_scores(
    *,
    team_id: int,
    system: str,
    now: datetime | None = None,
    game: Mapping[str, Any] | None = None,
) -> list[WeekendScore]:
    """Return a team's weekend scores in round order, each asset's line by session.

    `game` (the game's rules as plain data) lets a chip's effect show in the lines.
    """
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
    lineups = {row.lineup_id for row in rows}
    drivers_of: dict[int, list[int]] = {}
    for lineup_id, driver_id in await LineupDriver.filter(lineup_id__in=lineups).values_list(
        "lineup_id", "driver_id"
    ):
        drivers_of.setdefault(int(lineup_id), []).append(int(driver_id))
    constructors_of: dict[int, list[int]] = {}
    for lineup_id, constructor_id in await LineupConstructor.filter(
        lineup_id__in=lineups
    ).values_list("lineup_id", "constructor_id"):
        constructors_of.setdefault(int(lineup_id), []).append(int(constructor_id))
    lines = await RaceAssetScore.filter(
        race_id__in={row.race.id for row in rows}, scoring_system=system
    ).select_related("driver", "constructor")
    by_driver = {(e.race_id, e.driver_id, e.captain): e for e in lines if e.driver_id}
    by_constructor = {(e.race_id, e.constructor_id): e for e in lines if e.constructor_id}
    chips = _chips(game)
    scores = []
    for row in rows:
        captain = row.captain_id or row.lineup.captain_id
        chip = chips.get(row.chip or "")
        picked_lines = [
            _line("driver", e)
            for e in (
                by_driver.get((row.race.id, d, d == captain and chip is None))
                for d in drivers_of.get(row.lineup_id, [])
            )
            if e is not None
        ]
        picked_constructors = [
            by_constructor.get((row.race.id, c)) for c in constructors_of.get(row.lineup_id, [])
        ]
        constructor_lines = [_line("constructor", e) for e in picked_constructors if e is not None]
        if chip is not None:
            multiplier = (
                chip.get("captain_multiplier") or (game or {})["scoring"]["captain_multiplier"]
            )
            picked_lines = [
                _with_chip(a, chip, multiplier if a.driver_id == captain else None)
                for a in picked_lines
            ]
            constructor_lines = [_with_chip(a, chip, None) for a in constructor_lines]
        drivers = sorted(
            picked_lines,
            # Captain first, then by points: the order that answers "why this score?".
            key=lambda a: (not a.captain, -a.points, a.driver_id or 0),
        )
        constructors = sorted(constructor_lines, key=lambda a: (-a.points, a.constructor_id or 0))
        scores.append(
            WeekendScore(
                race=row.race,
                points=row.points,
                assets=drivers + constructors,
                penalty_points=row.penalty_points,
                chip=row.chip,
            )
        )
    return scores


def _chips(game: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    market = (game or {}).get("market") or {}
    return {c["name"]: c for c in market.get("chips", ())}


def _with_chip(line: AssetLine, chip: Mapping[str, Any], multiplier: int | None) -> AssetLine:
    """Return an asset's line as the chip scores it (the weekend statement's rules)."""
    floor = 0 if chip.get("no_negative") else None

    def keep(points: int) -> int:
        return points if floor is None else max(floor, points)

    q, s, r = keep(line.qualifying_points), keep(line.sprint_points), keep(line.race_points)
    bonus = keep(line.bonus_points)
    captain = (q + s + r) * (multiplier - 1) if multiplier is not None else 0
    return replace(
        line,
        captain=multiplier is not None,
        qualifying_points=q,
        sprint_points=s,
        race_points=r,
        bonus_points=bonus,
        captain_points=captain,
        points=q + s + r + bonus + captain,
    )


def _line(kind: str, entry: RaceAssetScore) -> AssetLine:
    return AssetLine(
        kind=kind,
        driver_id=entry.driver_id,
        constructor_id=entry.constructor_id,
        captain=entry.captain,
        qualifying_points=entry.qualifying_points,
        sprint_points=entry.sprint_points,
        race_points=entry.race_points,
        bonus_points=entry.bonus_points,
        captain_points=entry.captain_points,
        points=entry.points,
        driver=entry.driver,
        constructor=entry.constructor,
    )


@dataclass(frozen=True, slots=True)
class TeamRaceBreakdown:
    """One of a player's teams and its score for one race, with each asset's share."""

    team: Team
    score: RaceScore | WeekendScore


async def owner_race_breakdowns(
    *,
    race: Race,
    owner_id: int,
    system: str,
    game: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> list[TeamRaceBreakdown]:
    """Return a player's teams of `system` scored in a race, each with its breakdown for it.

    `game` (the game's rules as plain data) asks for a per-session breakdown; without it
    the breakdown is the scoring system's per driver (classic).
    """
    teams = await Team.filter(owner_id=owner_id, season_id=race.season_id, game=system).order_by(
        "id"
    )
    found: list[TeamRaceBreakdown] = []
    for team in teams:
        # A player has a handful of teams: their whole score lists cost no more than a filter.
        scores: list[RaceScore] | list[WeekendScore]
        if game is None:
            scores = await team_scores(team_id=team.id, system=system, now=now)
        else:
            scores = await weekend_scores(team_id=team.id, system=system, now=now, game=game)
        found += [TeamRaceBreakdown(team, s) for s in scores if s.race.id == race.id]
    return found

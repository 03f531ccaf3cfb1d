"""Scoring systems as data, and the pure rules that score one driver in one race.

Rescoring (`webapp.scoring.rescore`) applies these rules in SQL and stores every driver's
points per race; everything else reads those rows. `score_driver` states the same rules in
Python, which the tests hold the SQL to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from webapp.errors import AppError

DEFAULT_SYSTEM = "classic"


@dataclass(frozen=True, slots=True)
class ScoringSystem:
    """Everything that makes one scoring system; rescoring reads it, never branches on a name."""

    name: str
    # Points by classified position: index 0 is P1; positions past the end score 0.
    position_points: tuple[int, ...]
    fastest_lap_bonus: int
    # The feed's FastestLap.rank that earns the bonus.
    fastest_lap_rank: int = 1
    # positionText values that void the fastest-lap bonus (disqualified).
    bonus_void_texts: frozenset[str] = field(default_factory=lambda: frozenset({"D"}))
    captain_multiplier: int = 2
    # positionText values matching this are classified finishes; it must only match integers.
    classified_pattern: str = r"^[0-9]+$"

    def position_table(self) -> tuple[list[int], list[int]]:
        """Return (positions, points) as two parallel lists, for SQL parameters."""
        positions = list(range(1, len(self.position_points) + 1))
        return positions, list(self.position_points)


CLASSIC = ScoringSystem(
    name=DEFAULT_SYSTEM,
    position_points=(25, 18, 15, 12, 10, 8, 6, 4, 2, 1),
    fastest_lap_bonus=5,
)

SYSTEMS: Mapping[str, ScoringSystem] = MappingProxyType({CLASSIC.name: CLASSIC})


def get_system(name: str) -> ScoringSystem:
    """Return the registered system called `name`, or fail naming the unknown one."""
    try:
        return SYSTEMS[name]
    except KeyError:
        known = ", ".join(sorted(SYSTEMS))
        raise AppError(
            "unknown_scoring_system",
            f"Unknown scoring system {name!r} (known: {known})",
            field="scoring_system",
        ) from None


@dataclass(frozen=True, slots=True)
class DriverScore:
    """One driver's share of a team's race points: a line of its breakdown."""

    driver_id: int
    captain: bool
    position_points: int
    bonus_points: int
    multiplier: int
    points: int

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as the scores API shows it."""
        return {
            "driver_id": self.driver_id,
            "captain": self.captain,
            "position_points": self.position_points,
            "bonus_points": self.bonus_points,
            "multiplier": self.multiplier,
            "points": self.points,
        }


def classified_position(system: ScoringSystem, position_text: str | None) -> int | None:
    """Return the classified position a positionText stands for, or None if unclassified."""
    if position_text is None or not re.search(system.classified_pattern, position_text):
        return None
    return int(position_text)


def position_points(system: ScoringSystem, position_text: str | None) -> int:
    """Return the points a finish earns before any bonus or multiplier."""
    position = classified_position(system, position_text)
    if position is None or not 1 <= position <= len(system.position_points):
        return 0
    return system.position_points[position - 1]


def bonus_points(
    system: ScoringSystem, *, position_text: str | None, fastest_lap_rank: int | None
) -> int:
    """Return the fastest-lap bonus, void for a disqualified driver."""
    if fastest_lap_rank != system.fastest_lap_rank or position_text in system.bonus_void_texts:
        return 0
    return system.fastest_lap_bonus


def score_driver(
    system: ScoringSystem,
    *,
    driver_id: int,
    position_text: str | None,
    fastest_lap_rank: int | None,
    captain: bool,
) -> DriverScore:
    """Score one lineup driver; `position_text` None means the driver has no result."""
    base = position_points(system, position_text)
    bonus = bonus_points(system, position_text=position_text, fastest_lap_rank=fastest_lap_rank)
    multiplier = system.captain_multiplier if captain else 1
    return DriverScore(
        driver_id=driver_id,
        captain=captain,
        position_points=base,
        bonus_points=bonus,
        multiplier=multiplier,
        points=(base + bonus) * multiplier,
    )

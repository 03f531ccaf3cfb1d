"""One normalised shape for a race's result rows, from the feed or an admin, and its checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from webapp.results import feed_models as fm

# Official F1 points for P1..P10 in a Grand Prix.
OFFICIAL_POINTS = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
# Seasons in which a top-ten finisher with the fastest lap earned one more point.
FASTEST_LAP_POINT_SEASONS = range(2019, 2025)
COMPARED = ("constructor_ref", "position_text", "position_order", "grid", "laps", "status")
COMPARED_EXTRA = ("fastest_lap_rank", "points")


class ResultsInvalid(Exception):
    """A result set breaks a rule; `problems` maps a field path to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        summary = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:5])
        super().__init__(f"results rejected: {summary}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ResultRow:
    driver_ref: str
    constructor_ref: str
    position_text: str
    position_order: int
    grid: int
    laps: int
    status: str
    fastest_lap_rank: int | None
    points: Decimal

    @property
    def position(self) -> int | None:
        """Return the classified position, or None for R, D, E, W, F and N."""
        return int(self.position_text) if self.position_text.isdigit() else None

    def as_json(self) -> dict[str, Any]:
        """Return the row with JSON-friendly values."""
        data = asdict(self)
        data["points"] = str(self.points.normalize() if self.points else Decimal(0))
        return data


@dataclass(frozen=True, slots=True)
class ResultSet:
    """Rows plus the feed's descriptions of their drivers and constructors, by ref."""

    rows: tuple[ResultRow, ...]
    drivers: dict[str, fm.FeedDriver]
    constructors: dict[str, fm.FeedConstructor]


def official_points(*, position_text: str, fastest_lap_rank: int | None, season: int) -> Decimal:
    """Return a Grand Prix finisher's official F1 points."""
    if not position_text.isdigit():
        return Decimal(0)
    place = int(position_text)
    points = OFFICIAL_POINTS[place - 1] if 1 <= place <= len(OFFICIAL_POINTS) else 0
    if fastest_lap_rank == 1 and place <= 10 and season in FASTEST_LAP_POINT_SEASONS:
        points += 1
    return Decimal(points)


def from_feed(race: fm.FeedRace) -> ResultSet:
    """Normalise the feed's results of one race."""
    rows = []
    drivers: dict[str, fm.FeedDriver] = {}
    constructors: dict[str, fm.FeedConstructor] = {}
    for item in race.Results:
        rank = item.FastestLap.rank if item.FastestLap else None
        rows.append(
            ResultRow(
                driver_ref=item.Driver.driverId,
                constructor_ref=item.Constructor.constructorId,
                position_text=item.positionText,
                position_order=item.position,
                grid=item.grid,
                laps=item.laps,
                status=item.status,
                # The feed writes 0 for "no fastest lap"; we store null.
                fastest_lap_rank=rank or None,
                points=item.points,
            )
        )
        drivers[item.Driver.driverId] = item.Driver
        constructors[item.Constructor.constructorId] = item.Constructor
    ordered = tuple(sorted(rows, key=lambda r: r.position_order))
    return ResultSet(rows=ordered, drivers=drivers, constructors=constructors)


def check_rows(rows: tuple[ResultRow, ...]) -> None:
    """Raise `ResultsInvalid` unless the rows form one coherent classification."""
    problems: dict[str, str] = {}
    if not rows:
        problems["items"] = "a result needs at least one driver"
    seen_drivers: set[str] = set()
    seen_orders: set[int] = set()
    classified: list[int] = []
    fastest = 0
    for i, row in enumerate(rows):
        where = f"items[{i}]"
        if row.driver_ref in seen_drivers:
            problems[f"{where}.driver"] = f"driver {row.driver_ref!r} appears twice"
        seen_drivers.add(row.driver_ref)
        if row.position_order in seen_orders:
            problems[f"{where}.position"] = f"position {row.position_order} appears twice"
        seen_orders.add(row.position_order)
        if row.position is not None:
            classified.append(row.position)
        for name in ("grid", "laps"):
            if getattr(row, name) < 0:
                problems[f"{where}.{name}"] = "must not be negative"
        if row.fastest_lap_rank is not None and row.fastest_lap_rank < 1:
            problems[f"{where}.fastest_lap_rank"] = "must be 1 or more, or null"
        if row.points < 0:
            problems[f"{where}.points"] = "must not be negative"
        fastest += row.fastest_lap_rank == 1
    if sorted(classified) != list(range(1, len(classified) + 1)):
        problems["items.position_text"] = (
            f"classified positions must run 1..{len(classified)} without gaps or repeats"
        )
    if fastest > 1:
        problems["items.fastest_lap_rank"] = "only one driver can have fastest lap rank 1"
    if problems:
        raise ResultsInvalid(problems)


def content_hash(rows: tuple[ResultRow, ...]) -> str:
    """Return a SHA-256 of the normalised rows, equal for equal results."""
    data = [row.as_json() for row in sorted(rows, key=lambda r: r.position_order)]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def diff_rows(
    old: tuple[ResultRow, ...] | None, new: tuple[ResultRow, ...]
) -> dict[str, dict[str, list[Any]]]:
    """Return, per driver ref, each changed field as [old, new] (empty for a first version)."""
    if old is None:
        return {}
    before = {r.driver_ref: r.as_json() for r in old}
    after = {r.driver_ref: r.as_json() for r in new}
    diff: dict[str, dict[str, list[Any]]] = {}
    for ref in sorted(before.keys() | after.keys()):
        a, b = before.get(ref), after.get(ref)
        if a is None or b is None:
            diff[ref] = {
                "entry": [
                    "absent" if a is None else "present",
                    "absent" if b is None else "present",
                ]
            }
            continue
        changed = {k: [a[k], b[k]] for k in (*COMPARED, *COMPARED_EXTRA) if a[k] != b[k]}
        if changed:
            diff[ref] = changed
    return diff

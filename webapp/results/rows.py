"""One normalised shape for a race weekend's result rows, from the feed or an admin, and checks.

A results version holds the race's classification and, beside it, the weekend's qualifying
and sprint classifications (`SessionRow`): a change in any of them is a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
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
QUALIFYING = "qualifying"
SPRINT = "sprint"
SESSIONS = (QUALIFYING, SPRINT)
SESSION_COMPARED = ("constructor_ref", "position_text", "position_order", "grid")
SESSION_COMPARED_EXTRA = ("fastest_lap_rank", "reached")


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
class SessionRow:
    """A driver's line in the weekend's qualifying or sprint classification."""

    session: str
    driver_ref: str
    constructor_ref: str
    position_text: str
    position_order: int
    grid: int = 0
    fastest_lap_rank: int | None = None
    # Qualifying only: the last part reached (1, 2 or 3); 0 is no time set in Q1.
    reached: int = 0

    @property
    def position(self) -> int | None:
        """Return the classified position, or None for R, D, E, W, F and N."""
        return int(self.position_text) if self.position_text.isdigit() else None

    @property
    def disqualified(self) -> bool:
        """Tell whether the feed disqualified the driver from the session."""
        return self.position_text == "D"

    def as_json(self) -> dict[str, Any]:
        """Return the row with JSON-friendly values."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ResultSet:
    """Rows plus the feed's descriptions of their drivers and constructors, by ref.

    `qualifying` and `sprint` are the weekend's other sessions; None means "not given":
    storing keeps the session as the current version has it (an admin enters the race
    only; a feed that has no qualifying yet, or lost it, does not wipe it). An empty tuple
    is never stored: a session has rows or is absent.
    """

    rows: tuple[ResultRow, ...]
    drivers: dict[str, fm.FeedDriver]
    constructors: dict[str, fm.FeedConstructor]
    qualifying: tuple[SessionRow, ...] | None = None
    sprint: tuple[SessionRow, ...] | None = None

    @property
    def sessions(self) -> tuple[SessionRow, ...]:
        """Return the qualifying and sprint rows given, qualifying first."""
        return (*(self.qualifying or ()), *(self.sprint or ()))


def official_points(*, position_text: str, fastest_lap_rank: int | None, season: int) -> Decimal:
    """Return a Grand Prix finisher's official F1 points."""
    if not position_text.isdigit():
        return Decimal(0)
    place = int(position_text)
    points = OFFICIAL_POINTS[place - 1] if 1 <= place <= len(OFFICIAL_POINTS) else 0
    if fastest_lap_rank == 1 and place <= 10 and season in FASTEST_LAP_POINT_SEASONS:
        points += 1
    return Decimal(points)


def from_feed(
    race: fm.FeedRace,
    *,
    qualifying: fm.FeedRace | None = None,
    sprint: fm.FeedRace | None = None,
) -> ResultSet:
    """Normalise the feed's results of one race, with its qualifying and sprint when given."""
    rows = []
    drivers: dict[str, fm.FeedDriver] = {}
    constructors: dict[str, fm.FeedConstructor] = {}
    quali_rows = _qualifying_rows(qualifying.QualifyingResults) if qualifying else ()
    sprint_rows = _sprint_rows(sprint.SprintResults) if sprint else ()
    for entry in [
        *(qualifying.QualifyingResults if qualifying else ()),
        *(sprint.SprintResults if sprint else ()),
    ]:
        drivers[entry.Driver.driverId] = entry.Driver
        constructors[entry.Constructor.constructorId] = entry.Constructor
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
    return ResultSet(
        rows=ordered,
        drivers=drivers,
        constructors=constructors,
        qualifying=quali_rows or None,
        sprint=sprint_rows or None,
    )


def _qualifying_rows(items: list[fm.QualifyingResult]) -> tuple[SessionRow, ...]:
    """Return qualifying lines; a driver ranked ahead of one who set a time in a part reached it.

    The feed gives each part's lap time; a car that went into Q3 and had its lap deleted (or
    did not run) is still ranked among the Q3 cars, ahead of the first one knocked out in Q2.
    """
    last_with_time = {
        part: max((q.position for q in items if getattr(q, f"Q{part}")), default=0)
        for part in (1, 2, 3)
    }
    rows = []
    for order, q in enumerate(sorted(items, key=lambda q: q.position), start=1):
        reached = 0
        if q.Q1:
            reached = max(p for p in (1, 2, 3) if p == 1 or q.position <= last_with_time[p])
        rows.append(
            SessionRow(
                session=QUALIFYING,
                driver_ref=q.Driver.driverId,
                constructor_ref=q.Constructor.constructorId,
                position_text=str(q.position),
                # Places run 1..n, as a stored session's lines are read back.
                position_order=order,
                reached=reached,
            )
        )
    return tuple(rows)


def _sprint_rows(items: list[fm.FeedResult]) -> tuple[SessionRow, ...]:
    """Return sprint lines; the fastest lap's rank is read from the lap times when not given."""
    ranks = {item.Driver.driverId: item.FastestLap.rank for item in items if item.FastestLap}
    if not any(ranks.values()):
        # Some feeds time the sprint's fastest laps without ranking them.
        timed = [
            (_lap_seconds(item.FastestLap.Time.time), item.position, item.Driver.driverId)
            for item in items
            if item.FastestLap and item.FastestLap.Time and item.FastestLap.Time.time
        ]
        ranks = {ref: rank for rank, (_, _, ref) in enumerate(sorted(timed), start=1)}
    return tuple(
        SessionRow(
            session=SPRINT,
            driver_ref=item.Driver.driverId,
            constructor_ref=item.Constructor.constructorId,
            position_text=item.positionText,
            # Places run 1..n, as a stored session's lines are read back.
            position_order=order,
            grid=item.grid,
            fastest_lap_rank=ranks.get(item.Driver.driverId) or None,
        )
        for order, item in enumerate(sorted(items, key=lambda i: i.position), start=1)
    )


def _lap_seconds(text: str) -> float:
    """Return a lap time written `1:31.295` (or `91.295`) in seconds."""
    minutes, _, seconds = text.strip().rpartition(":")
    try:
        return int(minutes or 0) * 60 + float(seconds)
    except ValueError:
        return float("inf")


def _classification_problems(
    lines: Sequence[ResultRow | SessionRow], *, name: str
) -> dict[str, str]:
    """Return what keeps `lines` from being one coherent classification, keyed under `name`."""
    problems: dict[str, str] = {}
    seen_drivers: set[str] = set()
    seen_orders: set[int] = set()
    classified: list[int] = []
    fastest = 0
    for i, row in enumerate(lines):
        where = f"{name}[{i}]"
        if row.driver_ref in seen_drivers:
            problems[f"{where}.driver"] = f"driver {row.driver_ref!r} appears twice"
        seen_drivers.add(row.driver_ref)
        if row.position_order in seen_orders:
            problems[f"{where}.position"] = f"position {row.position_order} appears twice"
        seen_orders.add(row.position_order)
        if row.position is not None:
            classified.append(row.position)
        if row.grid < 0:
            problems[f"{where}.grid"] = "must not be negative"
        if row.fastest_lap_rank is not None and row.fastest_lap_rank < 1:
            problems[f"{where}.fastest_lap_rank"] = "must be 1 or more, or null"
        fastest += row.fastest_lap_rank == 1
    if sorted(classified) != list(range(1, len(classified) + 1)):
        problems[f"{name}.position_text"] = (
            f"classified positions must run 1..{len(classified)} without gaps or repeats"
        )
    if fastest > 1:
        problems[f"{name}.fastest_lap_rank"] = "only one driver can have fastest lap rank 1"
    return problems


def check_rows(rows: tuple[ResultRow, ...]) -> None:
    """Raise `ResultsInvalid` unless the rows form one coherent classification."""
    problems: dict[str, str] = {}
    if not rows:
        problems["items"] = "a result needs at least one driver"
    problems.update(_classification_problems(rows, name="items"))
    for i, row in enumerate(rows):
        if row.laps < 0:
            problems[f"items[{i}].laps"] = "must not be negative"
        if row.points < 0:
            problems[f"items[{i}].points"] = "must not be negative"
    if problems:
        raise ResultsInvalid(problems)


def check_sessions(rows: tuple[SessionRow, ...]) -> None:
    """Raise `ResultsInvalid` unless each session's rows form one coherent classification."""
    problems: dict[str, str] = {}
    for session in SESSIONS:
        lines = [r for r in rows if r.session == session]
        problems.update(_classification_problems(lines, name=session))
        for i, row in enumerate(lines):
            if not 0 <= row.reached <= 3:
                problems[f"{session}[{i}].reached"] = "must be 0, 1, 2 or 3"
    if problems:
        raise ResultsInvalid(problems)


def content_hash(rows: tuple[ResultRow, ...], sessions: tuple[SessionRow, ...] = ()) -> str:
    """Return a SHA-256 of the normalised rows, equal for equal results.

    A race without qualifying or sprint rows hashes as race rows alone did before sessions
    were stored, so the versions stored then still compare equal.
    """
    race = [row.as_json() for row in sorted(rows, key=lambda r: r.position_order)]
    data: Any = race
    if sessions:
        data = {"race": race}
        for session in SESSIONS:
            lines = sorted(
                (r for r in sessions if r.session == session), key=lambda r: r.position_order
            )
            data[session] = [r.as_json() for r in lines]
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


def diff_sessions(
    old: tuple[SessionRow, ...] | None, new: tuple[SessionRow, ...]
) -> dict[str, dict[str, list[Any]]]:
    """Return, per driver ref, each changed session field as [old, new] under `session.field`.

    A driver who appears in or leaves a session shows as `session: [absent, present]`.
    """
    if old is None:
        return {}
    before = {(r.session, r.driver_ref): r.as_json() for r in old}
    after = {(r.session, r.driver_ref): r.as_json() for r in new}
    diff: dict[str, dict[str, list[Any]]] = {}
    for session, ref in sorted(before.keys() | after.keys()):
        a, b = before.get((session, ref)), after.get((session, ref))
        if a is None or b is None:
            state = ["absent" if a is None else "present", "absent" if b is None else "present"]
            diff.setdefault(ref, {})[session] = state
            continue
        for k in (*SESSION_COMPARED, *SESSION_COMPARED_EXTRA):
            if a[k] != b[k]:
                diff.setdefault(ref, {})[f"{session}.{k}"] = [a[k], b[k]]
    return diff

"""Which round of a replayed season is "now", and what of it has happened."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from webapp.errors import AppError

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
# The feed publishes a race's order this long (season time) after its start.
RESULTS_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class Round:
    """One race weekend of a bundled season, in season time."""

    round: int
    name: str
    starts_at: datetime
    lock_at: datetime


@dataclass(frozen=True)
class Status:
    """Where a replay stands: the round under way, the next deadline, whether it is over."""

    round: int
    rounds: int
    next_lock: datetime | None
    finished: bool


def _time(value: str) -> datetime:
    """Parse a bundle's ISO time (with a trailing Z)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def season_file(season: int) -> Path:
    """Return where the bundled file of `season` is (or would be)."""
    return CATALOGUE / f"season_{season}.json"


@lru_cache(maxsize=8)
def bundle(season: int) -> dict[str, Any]:
    """Return the bundled season file of `season`, refusing one not shipped."""
    path = season_file(season)
    if not path.is_file():
        raise AppError("validation_error", f"no bundled season {season}", field="season")
    data: dict[str, Any] = json.loads(path.read_text())
    if not data.get("results"):
        raise AppError(
            "validation_error", f"season {season} has no bundled results", field="season"
        )
    return data


def rounds(season: int) -> list[Round]:
    """Return the season's races in order, each locking at its first session."""
    out = []
    for race in bundle(season)["races"]:
        starts = _time(race["starts_at"])
        sessions = [race.get("sprint_qualifying_at"), race.get("qualifying_at")]
        firsts = [_time(s) for s in sessions if s]
        out.append(
            Round(
                round=race["round"],
                name=race["name"],
                starts_at=starts,
                lock_at=min([starts, *firsts]),
            )
        )
    return sorted(out, key=lambda r: r.starts_at)


def status(*, season: int, now: datetime) -> Status:
    """Return where the replay of `season` stands at season time `now`."""
    races = rounds(season)
    started = [r for r in races if r.starts_at <= now]
    upcoming = [r.lock_at for r in races if r.lock_at > now]
    return Status(
        round=started[-1].round if started else 0,
        rounds=len(races),
        next_lock=min(upcoming) if upcoming else None,
        finished=len(started) == len(races) and now >= races[-1].starts_at + RESULTS_AFTER,
    )


def published(*, season: int, now: datetime) -> list[int]:
    """Return the rounds whose results the feed shows at season time `now`."""
    return [r.round for r in rounds(season) if r.starts_at + RESULTS_AFTER <= now]

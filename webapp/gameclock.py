"""The game's clock every time-dependent part can read, and the replay mapping of real time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webapp.errors import AppError


def system_now() -> datetime:
    """Return the real time now, in UTC."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Anything that tells the game's time now."""

    def now(self) -> datetime:
        """Return the game's time now, in UTC."""
        ...


@dataclass(frozen=True)
class SystemClock:
    """The game runs on real time."""

    def now(self) -> datetime:
        """Return the real time now."""
        return system_now()


@dataclass
class ManualClock:
    """A clock a test sets and moves by hand."""

    at: datetime

    def now(self) -> datetime:
        """Return the time the test last set."""
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on by `delta` and return the new time."""
        self.at += delta
        return self.at


@dataclass(frozen=True)
class ReplayClock:
    """Maps real time onto a past season: each race gets the same real minutes.

    The season's race starts are anchors; real time from `began` runs through the gap
    before each race in `minutes_per_race` real minutes, linearly, so lock times and
    verification offsets keep their order and their share of the gap.
    """

    race_starts: Sequence[datetime]
    began: datetime
    minutes_per_race: float
    # Season time that `began` stands for: a week before the first race.
    lead: timedelta = timedelta(days=7)
    source: Callable[[], datetime] = field(default=system_now, compare=False)

    def __post_init__(self) -> None:
        """Refuse a mapping that could not be inverted."""
        if not self.race_starts:
            raise AppError(
                "validation_error", "a replay needs at least one race", field="race_starts"
            )
        if list(self.race_starts) != sorted(self.race_starts):
            raise AppError("validation_error", "race starts must be in order", field="race_starts")
        if self.minutes_per_race <= 0:
            raise AppError(
                "validation_error", "minutes_per_race must be positive", field="minutes_per_race"
            )

    @property
    def _anchors(self) -> list[datetime]:
        """Season times at each whole slot: the lead-in, then every race start."""
        return [self.race_starts[0] - self.lead, *self.race_starts]

    @property
    def _slot(self) -> timedelta:
        """Real time given to each race."""
        return timedelta(minutes=self.minutes_per_race)

    def season_time(self, real: datetime) -> datetime:
        """Return the season time that the real time `real` stands for."""
        anchors = self._anchors
        slots = (real - self.began) / self._slot
        if slots < 0:
            return anchors[0] + (anchors[1] - anchors[0]) * slots
        index = min(int(slots), len(anchors) - 2)
        return anchors[index] + (anchors[index + 1] - anchors[index]) * (slots - index)

    def real_time(self, season: datetime) -> datetime:
        """Return the real time at which the season time `season` happens on this replay."""
        anchors = self._anchors
        index = min(max(bisect_right(anchors, season) - 1, 0), len(anchors) - 2)
        gap = anchors[index + 1] - anchors[index]
        return self.began + self._slot * (index + (season - anchors[index]) / gap)

    def now(self) -> datetime:
        """Return the season time now."""
        return self.season_time(self.source())

    def finishes_at(self) -> datetime:
        """Return the real time at which the last race starts."""
        return self.began + self._slot * len(self.race_starts)


_current: Clock = SystemClock()


def current() -> Clock:
    """Return the process's clock."""
    return _current


def use(clock: Clock) -> Clock:
    """Make `clock` the process's clock and return the one it replaces."""
    global _current
    previous, _current = _current, clock
    return previous


def now() -> datetime:
    """Return the game's time now, on the process's clock."""
    return _current.now()


def real_time(at: datetime) -> datetime:
    """Return the real time at which the game time `at` happens on the process's clock."""
    clock = _current
    return clock.real_time(at) if isinstance(clock, ReplayClock) else at


def game_time(real: datetime) -> datetime:
    """Return the game time that the real time `real` stands for on the process's clock."""
    clock = _current
    return clock.season_time(real) if isinstance(clock, ReplayClock) else real


def real_ago(delta: timedelta, *, now: datetime) -> datetime:
    """Return the game time it was `delta` of real time before the game time `now`."""
    return game_time(real_time(now) - delta)

"""When to poll a race's results: a pure function of its times, the settings and the clock.

- Nothing before the race starts, nor once it is `final` or `cancelled`.
- No results yet: every 5 minutes for the first FAST_WINDOW after the start, hourly after.
- Results in: hourly, and at each verification offset (`VERIFY_OFFSETS_HOURS`, by default
  +2 h, +24 h, +72 h, +7 days) counted from when results first arrived.
- The first successful poll at or after the last offset makes the race `final`.
- After a failed attempt, the next one waits at least RETRY_GAP (the task's own retries
  with backoff cover the minutes in between).
- A feed that could not be reached at all (no connection, no answer in time) is not asked
  again, for any race, until FEED_BACKOFF after that failure: the normal hourly poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.models import RaceStatus

FAST_INTERVAL = timedelta(minutes=5)
FAST_WINDOW = timedelta(hours=12)
SLOW_INTERVAL = timedelta(hours=1)
RETRY_GAP = timedelta(minutes=5)
FEED_BACKOFF = SLOW_INTERVAL
# Poll outcomes that never got an answer from the feed (a bad answer still reached it).
UNREACHABLE = ("unreachable", "timeout")
CLOSED = (RaceStatus.FINAL, RaceStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class RaceClock:
    """What the timetable needs to know about one race."""

    starts_at: datetime
    status: RaceStatus
    results_at: datetime | None = None  # when results first arrived
    last_ok_at: datetime | None = None  # last poll that reached the feed with a usable answer
    last_attempt_at: datetime | None = None  # last poll, successful or not


def checks(clock: RaceClock, offsets_hours: Sequence[float]) -> list[datetime]:
    """Return the verification times of a race with results, earliest first."""
    if clock.results_at is None:
        return []
    return sorted(clock.results_at + timedelta(hours=h) for h in offsets_hours)


def next_poll_at(clock: RaceClock, offsets_hours: Sequence[float]) -> datetime | None:
    """Return when the race should next be polled, or None when never again."""
    if clock.status in CLOSED:
        return None
    last_ok = clock.last_ok_at if clock.last_ok_at and clock.last_ok_at >= clock.starts_at else None
    if clock.results_at is None:
        if last_ok is None:
            due = clock.starts_at
        elif last_ok < clock.starts_at + FAST_WINDOW:
            due = last_ok + FAST_INTERVAL
        else:
            due = last_ok + SLOW_INTERVAL
    else:
        pending = [t for t in checks(clock, offsets_hours) if last_ok is None or t > last_ok]
        hourly = (last_ok or clock.results_at) + SLOW_INTERVAL
        due = min([hourly, *pending[:1]]) if pending else (last_ok or clock.results_at)
    if clock.last_attempt_at is not None and (last_ok is None or clock.last_attempt_at > last_ok):
        due = max(due, clock.last_attempt_at + RETRY_GAP)
    return due


def is_due(clock: RaceClock, offsets_hours: Sequence[float], *, now: datetime) -> bool:
    """Tell whether the race should be polled at `now`."""
    due = next_poll_at(clock, offsets_hours)
    return due is not None and due <= now


def verified(clock: RaceClock, offsets_hours: Sequence[float], *, polled_at: datetime) -> bool:
    """Tell whether a successful poll at `polled_at` completes the verification window."""
    if clock.results_at is None:
        return False
    times = checks(clock, offsets_hours)
    return not times or polled_at >= times[-1]


def feed_resumes_at(*, last_unreachable_at: datetime | None) -> datetime | None:
    """Return when the feed may be polled again after it was unreachable, or None if it was not."""
    return None if last_unreachable_at is None else last_unreachable_at + FEED_BACKOFF

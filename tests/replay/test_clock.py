"""The replay clock maps real minutes onto a season, and the timeline reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp import gameclock as clock
from webapp.errors import AppError
from webapp.replay import timeline

BEGAN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def replay(season: int = 2024, minutes: float = 10.0) -> clock.ReplayClock:
    """Return a replay clock of a bundled season started at BEGAN."""
    starts = [r.starts_at for r in timeline.rounds(season)]
    return clock.ReplayClock(race_starts=starts, began=BEGAN, minutes_per_race=minutes)


def test_each_race_starts_one_slot_after_the_last() -> None:
    """Round n starts n slots of real minutes after the replay began."""
    c = replay(minutes=10)
    races = timeline.rounds(2024)
    assert c.real_time(races[0].starts_at) == BEGAN + timedelta(minutes=10)
    assert c.real_time(races[6].starts_at) == BEGAN + timedelta(minutes=70)
    assert c.season_time(BEGAN + timedelta(minutes=70)) == races[6].starts_at
    assert c.finishes_at() == BEGAN + timedelta(minutes=240)


def test_real_and_season_time_invert_each_other() -> None:
    """Any moment maps there and back, before, inside and past the season."""
    c = replay(minutes=5)
    for minutes in (-3.0, 0.0, 2.5, 33.3, 119.9, 500.0):
        real = BEGAN + timedelta(minutes=minutes)
        back = c.real_time(c.season_time(real))
        assert abs((back - real).total_seconds()) < 1e-3


def test_the_next_deadline_is_within_one_slot() -> None:
    """The next lock always falls in the next race's slot: at most two slots away."""
    c = replay(minutes=10)
    for minutes in range(0, 240, 7):
        real = BEGAN + timedelta(minutes=minutes)
        state = timeline.status(season=2024, now=c.season_time(real))
        assert state.next_lock is not None
        assert BEGAN + timedelta(minutes=minutes) < c.real_time(state.next_lock)
        assert c.real_time(state.next_lock) <= real + timedelta(minutes=20)


def test_status_counts_rounds_and_ends() -> None:
    """The round under way and the end follow the clock."""
    c = replay(minutes=10)
    assert timeline.status(season=2024, now=c.season_time(BEGAN)).round == 0
    at7 = timeline.status(season=2024, now=c.season_time(BEGAN + timedelta(minutes=75)))
    assert (at7.round, at7.rounds, at7.finished) == (7, 24, False)
    end = timeline.status(season=2024, now=c.season_time(BEGAN + timedelta(minutes=250)))
    assert (end.round, end.next_lock, end.finished) == (24, None, True)
    at75 = c.season_time(BEGAN + timedelta(minutes=75))
    assert timeline.published(season=2024, now=at75) == list(range(1, 8))


def test_a_season_without_results_is_refused() -> None:
    """Only a bundled season with results can be replayed, and the error names the field."""
    with pytest.raises(AppError) as caught:
        timeline.rounds(2025)
    assert caught.value.field == "season"
    with pytest.raises(AppError):
        timeline.rounds(1999)


def test_the_process_clock_can_be_swapped() -> None:
    """Tests drive the one clock directly."""
    manual = clock.ManualClock(at=BEGAN)
    previous = clock.use(manual)
    try:
        manual.advance(timedelta(minutes=3))
        assert clock.now() == BEGAN + timedelta(minutes=3)
    finally:
        clock.use(previous)
    assert clock.now() != BEGAN + timedelta(minutes=3)

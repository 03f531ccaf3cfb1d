"""The polling timetable as a pure function of a race's times and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.models import RaceStatus
from webapp.results.timetable import RaceClock, is_due, next_poll_at, verified

START = datetime(2025, 3, 16, 4, 0, tzinfo=UTC)
OFFSETS = [2.0, 24.0, 72.0, 168.0]
H = timedelta(hours=1)
M = timedelta(minutes=1)


def clock(**kw: object) -> RaceClock:
    values: dict[str, object] = {"starts_at": START, "status": RaceStatus.LOCKED, **kw}
    return RaceClock(**values)  # type: ignore[arg-type]


def test_nothing_before_the_start() -> None:
    assert next_poll_at(clock(), OFFSETS) == START
    assert not is_due(clock(), OFFSETS, now=START - M)
    assert is_due(clock(), OFFSETS, now=START)


def test_every_five_minutes_while_waiting_for_results() -> None:
    polled = START + 95 * M
    c = clock(last_ok_at=polled, last_attempt_at=polled)
    assert next_poll_at(c, OFFSETS) == polled + 5 * M
    assert not is_due(c, OFFSETS, now=polled + 4 * M)
    assert is_due(c, OFFSETS, now=polled + 5 * M)


def test_hourly_once_results_are_long_overdue() -> None:
    polled = START + 13 * H
    assert next_poll_at(clock(last_ok_at=polled), OFFSETS) == polled + H


def test_checks_at_each_offset_after_results_first_arrived() -> None:
    arrived = START + 2 * H
    expected = [arrived + timedelta(hours=h) for h in OFFSETS]
    seen = []
    polled = arrived
    polls = 0
    # Poll whenever due until a poll completes verification; keep the checks among them.
    while not verified(clock(results_at=arrived), OFFSETS, polled_at=polled):
        due = next_poll_at(clock(results_at=arrived, last_ok_at=polled), OFFSETS)
        assert due is not None and timedelta(0) < due - polled <= H
        polled, polls = due, polls + 1
        if due in expected:
            seen.append(due)
    assert seen == expected
    assert polled == expected[-1] and polls == 168


def test_hourly_between_checks() -> None:
    arrived = START + 2 * H
    polled = arrived + 3 * H
    c = clock(status=RaceStatus.PROVISIONAL, results_at=arrived, last_ok_at=polled)
    assert next_poll_at(c, OFFSETS) == polled + H
    # Just before a check, the check itself comes first.
    polled = arrived + 23 * H + 30 * M
    c = clock(status=RaceStatus.PROVISIONAL, results_at=arrived, last_ok_at=polled)
    assert next_poll_at(c, OFFSETS) == arrived + 24 * H


def test_final_after_the_last_check() -> None:
    arrived = START + 2 * H
    c = clock(status=RaceStatus.PROVISIONAL, results_at=arrived)
    assert not verified(c, OFFSETS, polled_at=arrived + 167 * H)
    assert verified(c, OFFSETS, polled_at=arrived + 168 * H)
    assert not verified(clock(), OFFSETS, polled_at=arrived + 1000 * H)
    assert next_poll_at(clock(status=RaceStatus.FINAL, results_at=arrived), OFFSETS) is None
    assert next_poll_at(clock(status=RaceStatus.CANCELLED), OFFSETS) is None


def test_offsets_come_from_settings() -> None:
    arrived = START + 2 * H
    c = clock(status=RaceStatus.PROVISIONAL, results_at=arrived, last_ok_at=arrived)
    assert next_poll_at(c, [0.5, 6.0]) == arrived + 30 * M
    assert verified(c, [0.5, 6.0], polled_at=arrived + 6 * H)


def test_a_failed_attempt_waits_before_the_next() -> None:
    polled = START + 10 * M
    failed = START + 20 * M
    c = clock(last_ok_at=polled, last_attempt_at=failed)
    assert next_poll_at(c, OFFSETS) == failed + 5 * M
    # The feed never answered: the first attempt at the start, then every five minutes.
    c = clock(last_attempt_at=START)
    assert next_poll_at(c, OFFSETS) == START + 5 * M


def test_a_poll_from_before_the_start_does_not_count() -> None:
    c = clock(last_ok_at=START - 2 * H, last_attempt_at=START - 2 * H)
    assert next_poll_at(c, OFFSETS) == START

"""The next lineup deadline every page shows: remembered briefly, never past its lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from quart import Quart

from webapp.models import Race
from webapp.teams.deadline import NEXT_RACE, next_deadline


async def test_the_next_deadline_moves_on_the_moment_a_lineup_locks(
    app: Quart, season: int
) -> None:
    first, second = await Race.filter(season_id=season).order_by("lock_at").limit(2)
    async with app.app_context():
        now = first.lock_at - timedelta(hours=2)
        deadline = await next_deadline(now=now)
        assert deadline is not None and deadline.race.id == first.id
        assert deadline.left.hours == 2 and deadline.left.days == 0
        # Remembered, but its countdown follows the clock.
        now = first.lock_at - timedelta(minutes=1)
        deadline = await next_deadline(now=now)
        assert deadline is not None and deadline.race.id == first.id
        assert deadline.left.minutes == 1 and deadline.left.hours == 0
        # The lock passes within the few seconds it is remembered: the next race shows.
        now = first.lock_at + timedelta(seconds=1)
        deadline = await next_deadline(now=now)
        assert deadline is not None and deadline.race.id == second.id


async def test_after_the_last_lock_there_is_no_deadline(app: Quart, season: int) -> None:
    last = await Race.filter(season_id=season).order_by("-lock_at").first()
    assert last is not None
    async with app.app_context():
        now = last.lock_at + timedelta(days=1)
        assert await next_deadline(now=now) is None


async def test_a_change_made_elsewhere_shows_once_the_few_seconds_are_up(
    app: Quart, season: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await Race.filter(season_id=season).order_by("lock_at").first()
    assert first is not None
    seconds = [0.0]
    monkeypatch.setattr(NEXT_RACE, "clock", lambda: seconds[0])
    async with app.app_context():
        now = first.lock_at - timedelta(days=1)
        assert (
            deadline := await next_deadline(now=now)
        ) is not None and deadline.race.id == first.id
        # Renamed by another process (its bump clears only its own copy): remembered here...
        await Race.filter(id=first.id).update(name="Moved Grand Prix")
        assert (deadline := await next_deadline(now=now)) is not None
        assert deadline.race.name == first.name
        # ...until the few seconds are up.
        seconds[0] += NEXT_RACE.seconds
        assert (deadline := await next_deadline(now=now)) is not None
        assert deadline.race.name == "Moved Grand Prix"

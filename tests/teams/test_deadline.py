"""The next lineup deadline every page shows: remembered briefly, never past its lock."""

from __future__ import annotations

from datetime import timedelta

from quart import Quart

from webapp.models import Race
from webapp.teams.deadline import next_deadline


async def test_the_next_deadline_moves_on_the_moment_a_lineup_locks(
    app: Quart, season: int
) -> None:
    first, second = await Race.filter(season_id=season).order_by("lock_at").limit(2)
    async with app.app_context():
        app.config["CLOCK"] = lambda: first.lock_at - timedelta(hours=2)
        deadline = await next_deadline()
        assert deadline is not None and deadline.race.id == first.id
        assert deadline.left.hours == 2 and deadline.left.days == 0
        # Remembered, but its countdown follows the clock.
        app.config["CLOCK"] = lambda: first.lock_at - timedelta(minutes=1)
        deadline = await next_deadline()
        assert deadline is not None and deadline.race.id == first.id
        assert deadline.left.minutes == 1 and deadline.left.hours == 0
        # The lock passes within the few seconds it is remembered: the next race shows.
        app.config["CLOCK"] = lambda: first.lock_at + timedelta(seconds=1)
        deadline = await next_deadline()
        assert deadline is not None and deadline.race.id == second.id


async def test_after_the_last_lock_there_is_no_deadline(app: Quart, season: int) -> None:
    last = await Race.filter(season_id=season).order_by("-lock_at").first()
    assert last is not None
    async with app.app_context():
        app.config["CLOCK"] = lambda: last.lock_at + timedelta(days=1)
        assert await next_deadline() is None

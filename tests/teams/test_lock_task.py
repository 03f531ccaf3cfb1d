"""The scheduled lock task: a thin wrapper that locks what is due."""

from __future__ import annotations

from webapp.models import Race, RaceStatus


async def test_the_task_locks_due_races_once(season: int) -> None:
    from workers.tasks import lock_due_races

    # The bundled 2025 calendar is all in the past, so every race is due.
    locked = await lock_due_races()
    assert len(locked) == await Race.filter(season_id=season).count() == 24
    assert await Race.filter(status=RaceStatus.LOCKED).count() == 24
    assert await lock_due_races() == []

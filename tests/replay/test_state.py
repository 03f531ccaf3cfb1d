"""A replay is one shared row per season that every process builds the same clock from."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from webapp.errors import AppError
from webapp.models import Replay, Season
from webapp.replay import timeline
from webapp.replay.state import active_replay, replay_clock, restart_replay, start_replay

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def seasons(db: None) -> None:
    """Load the season rows of the bundled seasons (and of one without results)."""
    for year in (2023, 2024, 2025):
        await Season.create(year=year, name=f"{year} season")


async def test_concurrent_starts_share_one_row_and_start(seasons: None) -> None:
    """Processes starting the same replay together all read the first one's start time."""
    starts = [NOW + timedelta(seconds=i) for i in range(5)]
    replays = await asyncio.gather(
        *(start_replay(season=2024, minutes_per_race=10, now=at) for at in starts)
    )
    assert len({r.id for r in replays}) == 1
    assert len({r.began_at for r in replays}) == 1
    assert replays[0].began_at in starts
    assert await Replay.filter(season_id=2024).count() == 1


async def test_a_later_start_joins_the_running_replay(seasons: None) -> None:
    """A process restarting mid-season keeps the replay's start and pace."""
    first = await start_replay(season=2024, minutes_per_race=10, now=NOW)
    later = await start_replay(season=2024, minutes_per_race=3, now=NOW + timedelta(hours=1))
    assert (later.id, later.began_at, later.minutes_per_race) == (first.id, NOW, 10.0)
    assert later.restarts == 0


async def test_the_clock_runs_the_season_from_the_shared_start(seasons: None) -> None:
    """Round one starts one slot after the replay began; round seven, seven slots."""
    replay = await start_replay(season=2024, minutes_per_race=10, now=NOW)
    stored = await Replay.get(id=replay.id)
    clock = replay_clock(stored)
    races = timeline.rounds(2024)
    assert clock.season_time(NOW + timedelta(minutes=10)) == races[0].starts_at
    assert clock.season_time(NOW + timedelta(minutes=70)) == races[6].starts_at
    assert clock.finishes_at() == NOW + timedelta(minutes=10 * len(races))


async def test_active_replay_is_the_latest_started(seasons: None) -> None:
    """No replay at first; then the most recently started or started over."""
    assert await active_replay() is None
    await start_replay(season=2023, minutes_per_race=5, now=NOW)
    await start_replay(season=2024, minutes_per_race=10, now=NOW + timedelta(minutes=1))
    active = await active_replay()
    assert active is not None and active.season_id == 2024
    again = await restart_replay(season=2023, now=NOW + timedelta(minutes=2), minutes_per_race=4)
    assert (again.restarts, again.minutes_per_race) == (1, 4.0)
    active = await active_replay()
    assert active is not None
    assert (active.season_id, active.began_at, active.restarts) == (
        2023,
        NOW + timedelta(minutes=2),
        1,
    )


@pytest.mark.parametrize(
    ("season", "minutes", "field"),
    [
        (1999, 10.0, "season"),  # not bundled
        (2025, 10.0, "season"),  # bundled without results
        (2024, 0.0, "minutes_per_race"),
        (2024, -5.0, "minutes_per_race"),
        (2024, float("nan"), "minutes_per_race"),
        (2024, float("inf"), "minutes_per_race"),
    ],
)
async def test_bad_starts_are_refused_naming_the_field(
    seasons: None, season: int, minutes: float, field: str
) -> None:
    """A season that cannot be replayed or a pace that is not positive starts nothing."""
    with pytest.raises(AppError) as caught:
        await start_replay(season=season, minutes_per_race=minutes, now=NOW)
    assert (caught.value.code, caught.value.field) == ("validation_error", field)
    assert await Replay.all().count() == 0


async def test_a_season_not_loaded_is_refused(db: None) -> None:
    """The bundled season must be loaded before it can be replayed."""
    with pytest.raises(AppError) as caught:
        await start_replay(season=2024, minutes_per_race=10, now=NOW)
    assert (caught.value.code, caught.value.field) == ("validation_error", "season")
    assert await Replay.all().count() == 0


async def test_restarting_a_replay_never_started_is_not_found(seasons: None) -> None:
    """Only a replay that exists can start over."""
    with pytest.raises(AppError) as caught:
        await restart_replay(season=2024, now=NOW)
    assert caught.value.code == "not_found"
    assert await Replay.all().count() == 0

"""With REPLAY set, every process loads the season, joins one shared replay and runs its clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from webapp import boot, gameclock
from webapp.app import create_app
from webapp.boot import follow_replay, join_replay
from webapp.errors import AppError
from webapp.models import Driver, Race, Replay, Season, User
from webapp.replay import timeline
from webapp.replay.state import restart_replay
from webapp.settings import Settings, SettingsError, get_settings, load_settings
from workers.broker import join_replay_on_start, make_broker

NOW = gameclock.system_now()


@pytest.fixture(autouse=True)
def keep_clock() -> Iterator[None]:
    """Put back the process clock each test replaces."""
    previous = gameclock.current()
    yield
    gameclock.use(previous)


@pytest.fixture
def replaying(migrated: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Return settings replaying 2024 at five minutes a race, as the environment says too."""
    monkeypatch.setenv("REPLAY", "2024")
    monkeypatch.setenv("REPLAY_MINUTES_PER_RACE", "5")
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def fresh(db: None, redis: Redis) -> AsyncIterator[None]:
    """Empty tables and an empty Redis."""
    yield


def installed() -> gameclock.ReplayClock:
    """Return the process clock, which must be a replay clock."""
    clock = gameclock.current()
    assert isinstance(clock, gameclock.ReplayClock)
    return clock


async def test_web_start_loads_the_season_and_runs_on_the_replay(
    fresh: None, replaying: Settings
) -> None:
    """The web app's start-up loads 2024, starts its replay and serves it as the season."""
    await Season.create(year=2025, name="2025 season")  # a later real season is loaded too
    app = create_app(replaying)
    async with app.test_app():
        replay = await Replay.get(season_id=2024)
        assert replay.minutes_per_race == 5.0
        clock = installed()
        assert clock.began == replay.began_at
        assert clock.now() < timeline.rounds(2024)[0].starts_at  # the lead-in week
        assert await Driver.filter(season_id=2024).count() > 0
        assert await Race.filter(season_id=2024).count() == len(timeline.rounds(2024))
        response = await app.test_client().get("/api/v1/races")
        assert response.status_code == 200
        body = await response.get_json()
        assert {item["season"] for item in body["items"]} == {2024}


async def test_processes_starting_together_share_one_start(
    fresh: None, replaying: Settings
) -> None:
    """Web, worker and scheduler booting at once load the season once and agree on the start."""
    starts = [NOW, NOW.replace(microsecond=0), NOW.replace(second=0)]
    replays = await asyncio.gather(*(join_replay(settings=replaying, now=at) for at in starts))
    assert len({(r.id, r.began_at) for r in replays if r}) == 1
    assert await Replay.all().count() == 1
    assert await Season.filter(year=2024).count() == 1
    assert replays[0] is not None and installed().began == replays[0].began_at


async def test_worker_and_scheduler_start_join_the_running_replay(
    fresh: None, replaying: Settings
) -> None:
    """A worker's and the scheduler's start-up read the replay the web app started."""
    first = await join_replay(settings=replaying, now=NOW)
    assert first is not None
    gameclock.use(gameclock.SystemClock())

    worker = make_broker(replaying)
    worker.is_worker_process = True
    await worker.startup()
    try:
        assert installed().began == first.began_at
    finally:
        await worker.shutdown()

    gameclock.use(gameclock.SystemClock())
    scheduler = make_broker(replaying)
    join_replay_on_start(scheduler, replaying)
    await scheduler.startup()
    try:
        assert installed().began == first.began_at
        assert installed().minutes_per_race == 5.0
    finally:
        await scheduler.shutdown()
    assert await Replay.all().count() == 1


async def test_without_replay_the_clock_stays_real(fresh: None, migrated: Settings) -> None:
    """No REPLAY, no replay row and no season loaded at start-up."""
    assert await join_replay(settings=migrated, now=NOW) is None
    assert isinstance(gameclock.current(), gameclock.SystemClock)
    assert await Replay.all().count() == 0


async def test_a_season_without_results_cannot_be_replayed(fresh: None, migrated: Settings) -> None:
    """REPLAY=2025 (bundled without results) is refused naming `season`; nothing is loaded."""
    bad = migrated.model_copy(update={"replay": 2025})
    with pytest.raises(AppError) as caught:
        await join_replay(settings=bad, now=NOW)
    assert (caught.value.code, caught.value.field) == ("validation_error", "season")
    assert await Season.all().count() == 0
    assert await Replay.all().count() == 0


def test_replay_settings_parse_and_refuse_a_bad_pace() -> None:
    """REPLAY blank means off; a pace that is not a positive number is refused by name."""
    assert load_settings(replay="", _env_file=None).replay is None
    settings = load_settings(replay="2023", replay_minutes_per_race="2.5", _env_file=None)
    assert (settings.replay, settings.replay_minutes_per_race) == (2023, 2.5)
    for bad in ("0", "-1", "nan"):
        with pytest.raises(SettingsError, match="replay_minutes_per_race"):
            load_settings(replay_minutes_per_race=bad, _env_file=None)


async def test_a_process_moves_to_a_replay_started_over(fresh: None, replaying: Settings) -> None:
    """When the replay starts over, a running process takes the new start and pace."""
    await join_replay(settings=replaying, now=NOW)
    assert await follow_replay(season=2024) is False  # nothing moved yet
    later = NOW + timedelta(hours=1)
    await restart_replay(season=2024, now=later, minutes_per_race=3)
    assert await follow_replay(season=2024) is True
    assert (installed().began, installed().minutes_per_race) == (later, 3.0)
    assert await follow_replay(season=2024) is False


async def test_the_web_app_follows_the_replay_while_it_serves(
    fresh: None, replaying: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay started over elsewhere reaches a serving web process without a restart."""
    monkeypatch.setattr(boot, "FOLLOW_EVERY_SECONDS", 0.01)
    app = create_app(replaying)
    async with app.test_app():
        moved = asyncio.Event()
        use = gameclock.use

        def use_and_tell(clock: gameclock.Clock) -> gameclock.Clock:
            moved.set()
            return use(clock)

        monkeypatch.setattr(gameclock, "use", use_and_tell)
        later = installed().began + timedelta(hours=1)
        await restart_replay(season=2024, now=later)
        await asyncio.wait_for(moved.wait(), 10)
        assert installed().began == later
        response = await app.test_client().get("/api/v1/races")
        assert response.status_code == 200


async def test_start_up_refuses_to_begin_replaying_a_season_played_for_real(
    fresh: None, replaying: Settings, make_user: Callable[..., Awaitable[User]]
) -> None:
    """REPLAY=2024 on a site where people built 2024 teams starts no replay and says why."""
    from tests.replay.test_start import real_team
    from webapp.catalogue.loader import load_season

    await load_season(path=timeline.CATALOGUE / "season_2024.json")
    await real_team(await make_user("alice"), 2024)
    with pytest.raises(AppError) as caught:
        await join_replay(settings=replaying, now=NOW)
    assert caught.value.field == "season"
    assert "season 2024 has 1 team(s) created outside a replay" in caught.value.message
    assert await Replay.all().count() == 0
    assert not isinstance(gameclock.current(), gameclock.ReplayClock)


async def test_teams_made_during_a_replay_do_not_stop_it_joining_again(
    fresh: None, replaying: Settings, make_user: Callable[..., Awaitable[User]]
) -> None:
    """A visitor's team made while the replay runs is part of it: the next start joins."""
    from tests.replay.test_start import real_team

    first = await join_replay(settings=replaying, now=NOW)
    assert first is not None
    await real_team(await make_user("visitor"), 2024)
    again = await join_replay(settings=replaying, now=NOW + timedelta(minutes=3))
    assert again is not None
    assert (again.id, again.began_at) == (first.id, first.began_at)

"""Starting a replay: one domain function behind `paddock replay start` and /admin/replay."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from webapp import gameclock
from webapp.app import create_app
from webapp.catalogue.loader import load_season
from webapp.errors import AppError
from webapp.gameclock import system_now
from webapp.leaderboards.queries import overall_leaderboard
from webapp.leaderboards.refresh import rebuild_leaderboards
from webapp.models import (
    AssetPrice,
    Driver,
    League,
    Lineup,
    LineupDriver,
    Notification,
    NotificationType,
    Race,
    RaceResult,
    RaceStatus,
    Replay,
    ResultSource,
    ResultVersion,
    Team,
    TeamRaceScore,
    User,
)
from webapp.replay import timeline
from webapp.replay.start import replayable_seasons, start_season_replay
from webapp.replay.state import replay_clock
from webapp.settings import ROOT, Settings, get_settings

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
Csrf = Callable[[TestClientProtocol], Awaitable[str]]
PLAYERS = 30


async def paddock(settings: Settings, *args: str) -> tuple[int, str]:
    """Run `paddock ARGS` against the test services; return exit code and output."""
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from webapp.cli import main; main()", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    return proc.returncode or 0, output.decode()


async def real_team(owner: User, season: int) -> Team:
    """Create a team the way a player does, outside any replay."""
    from webapp.teams.service import create_team

    drivers = await Driver.filter(season_id=season).order_by("price", "ref").limit(5)
    ids = [d.id for d in drivers]
    return await create_team(
        owner=owner, name="Real Racing", driver_ids=ids, captain_id=ids[0], season=season
    )


def test_every_bundled_season_with_results_can_be_replayed() -> None:
    """2023 and 2024 ship their results; 2025 (a calendar only) cannot be replayed."""
    assert replayable_seasons() == [2023, 2024]


async def test_cli_starts_then_restarts_a_replay(
    migrated: Settings, db: None, redis: Redis
) -> None:
    """`paddock replay start 2023 --minutes-per-race 5` starts it; again, it starts over."""
    code, output = await paddock(migrated, "replay", "start", "2023", "--minutes-per-race", "5")
    assert code == 0, output
    assert "Replay of 2023 started: 5 min per race, 300 generated players added" in output
    # Not on a terminal: plain progress lines, each stage from its start to its end.
    lines = output.splitlines()
    races = next(line for line in lines if line.startswith("races: ") and "/0" not in line)
    total = races.split("/")[1]
    assert f"races: 0/{total}" in lines and f"races: {total}/{total}" in lines
    assert "replay: clock, standings, generated players: 3/3" in lines
    assert lines.index(f"races: {total}/{total}") < lines.index(
        "replay: clock, standings, generated players: 0/3"
    )
    replay = await Replay.get(season_id=2023)
    assert (replay.minutes_per_race, replay.restarts) == (5.0, 0)
    assert await Team.filter(season_id=2023, game="classic").count() == 300
    assert await Team.filter(season_id=2023, game="grand_prix").count() > 50

    code, output = await paddock(migrated, "replay", "start", "2023", "--minutes-per-race", "2.5")
    assert code == 0, output
    assert "Replay of 2023 restarted from round 1: 2.5 min per race, 0 generated" in output
    again = await Replay.get(season_id=2023)
    assert (again.minutes_per_race, again.restarts) == (2.5, 1)
    assert again.began_at >= replay.began_at


async def test_cli_names_the_field_it_refuses(migrated: Settings, db: None, redis: Redis) -> None:
    """A season not bundled, or a pace of zero, is refused by name and starts nothing."""
    code, output = await paddock(migrated, "replay", "start", "2019")
    assert code == 1
    assert "season: no bundled season 2019" in output
    code, output = await paddock(migrated, "replay", "start", "2024", "--minutes-per-race", "0")
    assert code == 1
    assert "minutes_per_race" in output
    assert await Replay.all().count() == 0


async def test_a_season_with_real_teams_is_not_replayed(
    db: None, redis: Redis, make_user: MakeUser
) -> None:
    """A replay never mixes into a leaderboard people played for real."""
    await load_season(path=timeline.CATALOGUE / "season_2024.json")
    await real_team(await make_user("alice"), 2024)
    with pytest.raises(AppError) as caught:
        await start_season_replay(season=2024, minutes_per_race=10, now=system_now())
    assert caught.value.field == "season"
    assert "season 2024 has 1 team(s) created outside a replay" in caught.value.message
    assert await Replay.all().count() == 0
    assert await Team.filter(season_id=2024).count() == 1


async def test_teams_made_during_a_replay_do_not_block_its_restart(
    db: None, redis: Redis, make_user: MakeUser
) -> None:
    """Once a season replays, teams players build in it belong to the replay."""
    await start_season_replay(season=2024, minutes_per_race=10, now=system_now(), players=PLAYERS)
    await real_team(await make_user("alice"), 2024)
    run = await start_season_replay(
        season=2024, minutes_per_race=10, now=system_now(), players=PLAYERS
    )
    assert run.restarted
    assert await Team.filter(season_id=2024, game="classic").count() == PLAYERS + 1


async def test_restart_clears_the_run_and_keeps_teams_with_their_latest_lineup(
    db: None, redis: Redis, make_user: MakeUser
) -> None:
    """Starting over: results, scores, notifications and points go; round 1 is next again."""
    began = system_now() - timedelta(hours=3)
    first = await start_season_replay(season=2024, minutes_per_race=5, now=began, players=PLAYERS)
    alice = await make_user("alice")
    team = await real_team(alice, 2024)
    race = await Race.get(season_id=2024, round=1)
    driver = await Driver.filter(season_id=2024).select_related("constructor").first()
    assert driver is not None and driver.constructor is not None
    # What a run leaves behind: a final race with results and scores, a later lineup.
    await ResultVersion.create(race=race, version=1, content_hash="x", source=ResultSource.FEED)
    await RaceResult.create(
        race=race, version=1, driver=driver, constructor=driver.constructor, position=1,
        position_text="1", position_order=1, status="Finished", points=25,
    )  # fmt: skip
    race.status, race.results_version = RaceStatus.FINAL, 1
    await race.save()
    old = await Lineup.get(team_id=team.id)
    await TeamRaceScore.create(team=team, race=race, lineup=old, points=42)
    await AssetPrice.create(
        game="grand_prix", season_id=2024, race=race, driver=driver, price=Decimal("9.9")
    )
    team.points = 42
    await team.save()
    later = await Lineup.create(
        team=team, captain_id=old.captain_id, saved_at=old.saved_at + timedelta(minutes=1)
    )
    for entry in await LineupDriver.filter(lineup_id=old.id):
        await LineupDriver.create(
            lineup=later, driver_id=entry.driver_id, is_captain=entry.is_captain, price=Decimal(1)
        )
    await Notification.create(
        user=alice, type=NotificationType.RESULTS_PUBLISHED, title="t", body="b",
        data={"race_id": race.id, "team_id": team.id},
        dedup_key=f"results_published:{race.id}:{team.id}",
    )  # fmt: skip
    await rebuild_leaderboards(season=2024)
    before = await overall_leaderboard(season=2024, limit=1)
    assert (before.items[0].team_name, before.items[0].points) == ("Real Racing", 42)

    run = await start_season_replay(
        season=2024, minutes_per_race=5, now=system_now(), players=PLAYERS
    )

    assert run.restarted and run.replay.restarts == first.replay.restarts + 1
    race = await Race.get(id=race.id)
    assert (race.status, race.results_version) == (RaceStatus.SCHEDULED, 0)
    assert not await RaceResult.filter(race_id=race.id).exists()
    assert not await ResultVersion.filter(race_id=race.id).exists()
    assert not await TeamRaceScore.filter(team_id=team.id).exists()
    # The market starts again from the starting prices.
    assert not await AssetPrice.filter(season_id=2024).exists()
    assert not await Notification.filter(user_id=alice.id).exists()
    team = await Team.get(id=team.id)
    assert team.points == 0
    (kept,) = await Lineup.filter(team_id=team.id)
    assert kept.id == later.id
    # Saved as the new run begins: it counts from round 1 again.
    clock = replay_clock(run.replay)
    assert kept.saved_at == clock.season_time(run.replay.began_at)
    assert kept.saved_at < race.lock_at
    state = timeline.status(season=2024, now=clock.season_time(system_now()))
    assert (state.round, state.finished) == (0, False)
    after = await overall_leaderboard(season=2024, limit=100)
    assert after.total == PLAYERS + 1
    assert {row.points for row in after.items} == {0}
    # The company is there once, untouched by the restart.
    assert run.company.players == 0
    assert await Team.filter(season_id=2024, game="classic").count() == PLAYERS + 1


async def test_admin_page_is_for_admins_only(
    client: TestClientProtocol, db: None, redis: Redis, make_user: MakeUser, login: Login
) -> None:
    """Visitors are sent to log in, players are refused, and nothing starts."""
    anonymous = await client.get("/admin/replay")
    assert anonymous.status_code == 303
    await login(client, await make_user("player"))
    assert (await client.get("/admin/replay")).status_code == 403


async def test_admin_starts_a_replay_from_the_page(
    client: TestClientProtocol,
    redis: Redis,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: Csrf,
) -> None:
    """The form lists the bundled seasons, needs its CSRF token, and starts the season picked."""
    await login(client, await make_user("steward", is_admin=True))
    html = (await (await client.get("/admin/replay")).get_data()).decode()
    assert '<option value="2023"' in html and '<option value="2024"' in html
    assert 'name="csrf_token"' in html and "No replay is running:" in html

    forged = await client.post("/admin/replay", form={"season": "2024", "minutes_per_race": "5"})
    assert forged.status_code == 403
    assert await Replay.all().count() == 0

    token = await csrf_token_for(client)
    bad = await client.post(
        "/admin/replay", form={"season": "2024", "minutes_per_race": "0", "csrf_token": token}
    )
    assert bad.status_code == 422
    page = (await bad.get_data()).decode()
    assert 'id="e-minutes_per_race"' in page and "minutes_per_race must be more than 0" in page
    assert await Replay.all().count() == 0

    started = await client.post(
        "/admin/replay", form={"season": "2024", "minutes_per_race": "5", "csrf_token": token}
    )
    assert started.status_code == 303
    assert started.headers["Location"] == "/admin/replay?started=started"
    replay = await Replay.get(season_id=2024)
    assert replay.minutes_per_race == 5.0
    page = (await (await client.get(started.headers["Location"])).get_data()).decode()
    assert "Replay started." in page
    # This site plays the live season (no REPLAY): the replay is listed, not running here.
    assert "2024: round 0 of 24, 5 min per race" in page
    assert "Running: the 2024 season" not in page


async def test_admin_page_names_the_season_it_refuses(
    client: TestClientProtocol,
    redis: Redis,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: Csrf,
) -> None:
    """A season people played for real is refused next to the season field."""
    await load_season(path=timeline.CATALOGUE / "season_2024.json")
    await real_team(await make_user("alice"), 2024)
    await login(client, await make_user("steward", is_admin=True))
    token = await csrf_token_for(client)
    response = await client.post(
        "/admin/replay", form={"season": "2024", "minutes_per_race": "5", "csrf_token": token}
    )
    assert response.status_code == 422
    page = (await response.get_data()).decode()
    assert 'id="e-season"' in page and "created outside a replay" in page
    assert await Replay.all().count() == 0


@pytest.fixture
def keep_clock() -> Iterator[None]:
    """Put back the process clock a test replaces."""
    previous = gameclock.current()
    yield
    gameclock.use(previous)


async def test_the_web_app_opens_a_replay_with_company_on_the_board(
    migrated: Settings, db: None, redis: Redis, monkeypatch: pytest.MonkeyPatch, keep_clock: None
) -> None:
    """With REPLAY=2024 the web start-up fills the board and the open league, once."""
    monkeypatch.setenv("REPLAY", "2024")
    get_settings.cache_clear()
    try:
        for _ in range(2):
            app = create_app(get_settings())
            async with app.test_app():
                response = await app.test_client().get("/api/v1/leaderboard?season=2024")
                body = await response.get_json()
                assert response.status_code == 200
                assert body["total"] == 300
        open_league = await League.get(name="Replay 2024 — open paddock")
        assert open_league.is_public
        assert await Team.filter(season_id=2024, game="classic").count() == 300
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_restarting_moves_this_processs_replay_clock(
    db: None, redis: Redis, keep_clock: None
) -> None:
    """A process running the replay follows the new start at once: round 1 is next again."""
    began = system_now() - timedelta(minutes=95)
    first = await start_season_replay(season=2024, minutes_per_race=10, now=began, players=PLAYERS)
    gameclock.use(replay_clock(first.replay))
    assert timeline.status(season=2024, now=gameclock.now()).round == 9
    await start_season_replay(season=2024, minutes_per_race=10, now=system_now(), players=PLAYERS)
    assert timeline.status(season=2024, now=gameclock.now()).round == 0

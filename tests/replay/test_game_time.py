"""On a replay, deadlines, lineup locks and countdowns follow the replay clock."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart.typing import TestClientProtocol

from webapp import gameclock
from webapp.models import Driver, Lineup, Race, RaceStatus, User
from webapp.schemas import iso_z
from webapp.teams.deadline import next_deadline
from webapp.teams.locks import lineup_for_race
from webapp.teams.service import create_team
from workers.tasks import lock_due_races

from .conftest import BEGAN, Replaying

MakeUser = Callable[..., Awaitable[User]]
CHEAP = ["bearman", "zhou", "colapinto", "lawson", "sargeant"]


async def test_next_deadline_is_minutes_ahead_in_real_time(
    season_2024: int, replaying: Replaying
) -> None:
    """Two real minutes in, round one locks within ten real minutes, not days."""
    now = replaying.at_minute(2)
    deadline = await next_deadline(now=now)
    assert deadline is not None and deadline.race.round == 1
    left = deadline.left
    assert (left.days, left.hours) == (0, 0) and 0 < left.minutes < 8
    assert left.at == replaying.clock.real_time(deadline.race.lock_at)
    assert BEGAN + timedelta(minutes=2) < left.at < BEGAN + timedelta(minutes=10)


async def test_pages_count_down_to_the_real_time_of_the_lock(
    season_2024: int, replaying: Replaying, client: TestClientProtocol
) -> None:
    """The header and the home page show real minutes left and tick towards the real lock."""
    replaying.at_minute(2)
    race = await Race.get(season_id=2024, round=1)
    real_lock = iso_z(replaying.clock.real_time(race.lock_at))
    page = (await (await client.get("/")).get_data()).decode()
    assert race.name in page
    ticking = re.findall(
        r'class="countdown" data-until="([^"]+)">\(in (\d+) d (\d+) h (\d+) min', page
    )
    assert ticking, page
    for until, days, hours, minutes in ticking:
        assert until == real_lock
        assert (days, hours) == ("0", "0") and 0 < int(minutes) < 8


async def test_lineups_lock_when_the_replay_reaches_the_lock(
    season_2024: int, replaying: Replaying, make_user: MakeUser
) -> None:
    """A lineup saved before the replayed lock counts; the lock task locks at the replayed time."""
    owner = await make_user("alice")
    drivers = {d.ref: d.id for d in await Driver.filter(season_id=2024)}
    replaying.at_minute(2)
    team = await create_team(
        owner=owner,
        name="Early",
        driver_ids=[drivers[r] for r in CHEAP],
        captain_id=drivers["bearman"],
        season=2024,
    )
    saved = await Lineup.get(team_id=team.id)
    race = await Race.get(season_id=2024, round=1)
    assert saved.saved_at == replaying.clock.now() < race.lock_at

    assert await lock_due_races() == []  # two real minutes in, nothing is due
    lock_minute = (replaying.clock.real_time(race.lock_at) - BEGAN) / timedelta(minutes=1)
    replaying.at_minute(lock_minute + 0.1)
    assert await lock_due_races() == [race.id]
    assert (await Race.get(id=race.id)).status == RaceStatus.LOCKED
    assert (await Race.get(season_id=2024, round=2)).status == RaceStatus.SCHEDULED
    counted = await lineup_for_race(team=team, race=race)
    assert counted is not None and counted.id == saved.id


def test_real_and_game_time_are_the_same_off_replay() -> None:
    """Without a replay the conversions change nothing."""
    at = BEGAN
    assert gameclock.real_time(at) == at == gameclock.game_time(at)
    assert gameclock.real_ago(timedelta(minutes=5), now=at) == at - timedelta(minutes=5)

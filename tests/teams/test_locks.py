"""Lock semantics with an injected clock: which lineup counts for which race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from webapp.admin.service import update_race
from webapp.models import Race, RaceStatus, User
from webapp.teams.locks import lineup_for_race, lock_due_races, locked_lineups
from webapp.teams.service import create_team, update_team

MakeOwner = Callable[..., Awaitable[User]]
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def races(season: int) -> list[Race]:
    """Return the first three races of the season."""
    return await Race.filter(season_id=season, round__lte=3).order_by("round")


async def test_the_last_save_before_the_lock_counts(
    races: list[Race], refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    first, second, _ = races
    owner = await make_owner()
    team = await create_team(
        owner=owner,
        name="Clockwork",
        driver_ids=cheap,
        captain_id=cheap[0],
        now=first.lock_at - timedelta(days=2),
    )
    before = await update_team(
        user=owner, team_id=team.id, captain_id=cheap[1], now=first.lock_at - MINUTE
    )
    # Saved exactly at the lock, and after it: both count from the next race only.
    await update_team(user=owner, team_id=team.id, captain_id=cheap[2], now=first.lock_at)
    await update_team(user=owner, team_id=team.id, captain_id=cheap[3], now=first.lock_at + MINUTE)

    counted = await lineup_for_race(team=before, race=first)
    assert counted is not None and counted.captain_id == cheap[1]  # type: ignore[attr-defined]
    assert counted.saved_at == first.lock_at - MINUTE
    following = await lineup_for_race(team=team, race=second)
    assert following is not None and following.captain_id == cheap[3]  # type: ignore[attr-defined]


async def test_history_is_never_rewritten_by_later_saves(
    races: list[Race], cheap: list[int], refs: dict[str, int], make_owner: MakeOwner
) -> None:
    first, second, third = races
    owner = await make_owner()
    team = await create_team(
        owner=owner,
        name="Archive",
        driver_ids=cheap,
        captain_id=cheap[0],
        now=first.lock_at - timedelta(days=1),
    )
    swapped = [*cheap[:4], refs["ocon"]]
    await update_team(user=owner, team_id=team.id, driver_ids=swapped, now=second.lock_at + MINUTE)
    one = await lineup_for_race(team=team, race=first)
    two = await lineup_for_race(team=team, race=second)
    three = await lineup_for_race(team=team, race=third)
    assert one is not None and two is not None and three is not None
    assert one.id == two.id  # nothing saved between the first two locks
    assert sorted(e.driver_id for e in three.drivers) == sorted(swapped)  # type: ignore[attr-defined]


async def test_a_team_created_after_a_lock_does_not_score_that_race(
    races: list[Race], cheap: list[int], make_owner: MakeOwner
) -> None:
    first, second, _ = races
    owner = await make_owner()
    team = await create_team(
        owner=owner,
        name="Latecomer",
        driver_ids=cheap,
        captain_id=cheap[0],
        now=first.lock_at + timedelta(hours=1),
    )
    assert await lineup_for_race(team=team, race=first) is None
    assert await lineup_for_race(team=team, race=second) is not None


async def test_moving_lock_at_moves_the_deadline(
    races: list[Race], cheap: list[int], make_owner: MakeOwner
) -> None:
    first, _, _ = races
    owner = await make_owner()
    team = await create_team(
        owner=owner,
        name="Shifted",
        driver_ids=cheap,
        captain_id=cheap[0],
        now=first.lock_at - timedelta(days=1),
    )
    await update_team(user=owner, team_id=team.id, captain_id=cheap[4], now=first.lock_at + MINUTE)
    counted = await lineup_for_race(team=team, race=first)
    assert counted is not None and counted.captain_id == cheap[0]  # type: ignore[attr-defined]

    later = first.lock_at + timedelta(hours=1)
    moved = await update_race(
        race_id=first.id, lock_at=later, now=first.lock_at - timedelta(days=2)
    )
    counted = await lineup_for_race(team=team, race=moved)
    assert counted is not None and counted.captain_id == cheap[4]  # type: ignore[attr-defined]


async def test_lock_due_races_locks_each_race_once(races: list[Race]) -> None:
    first, second, third = races
    await update_race(race_id=third.id, status=RaceStatus.CANCELLED, now=first.lock_at)
    # Everything in the bundled season is scheduled: at the second lock, two races are due.
    locked = await lock_due_races(now=second.lock_at)
    assert [r.id for r in locked] == [first.id, second.id]
    assert all(r.status == RaceStatus.LOCKED for r in locked)
    assert await lock_due_races(now=second.lock_at) == []
    assert (await Race.get(id=third.id)).status == RaceStatus.CANCELLED
    assert await lock_due_races(now=third.lock_at + MINUTE) == []  # cancelled stays cancelled
    fourth = await Race.get(season_id=first.season_id, round=4)  # type: ignore[attr-defined]
    assert fourth.status == RaceStatus.SCHEDULED


async def test_others_see_lineups_of_locked_races_only(
    races: list[Race], cheap: list[int], make_owner: MakeOwner
) -> None:
    first, second, _ = races
    owner = await make_owner()
    team = await create_team(
        owner=owner,
        name="Peekaboo",
        driver_ids=cheap,
        captain_id=cheap[0],
        now=first.lock_at - timedelta(days=1),
    )
    assert await locked_lineups(team=team, now=first.lock_at - MINUTE) == []
    shown = await locked_lineups(team=team, now=first.lock_at)
    assert [s.race.id for s in shown] == [first.id]
    shown = await locked_lineups(team=team, now=second.lock_at + MINUTE)
    assert [s.race.id for s in shown] == [second.id, first.id]

"""Producers of league, lock and rank notifications: who hears what, and never twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from tests.live.scenario import (
    ALPHA_AHEAD,
    BRAVO_AHEAD,
    build_league,
    cheap_driver_ids,
    publish_results,
)
from webapp.leagues.service import join_public, remove_team
from webapp.models import Notification, NotificationType, Race, RaceStatus, User
from webapp.notifications.producers import notify_lineups_locked, notify_rank_changes
from webapp.teams.locks import lock_due_races
from webapp.teams.service import create_team

MakeUser = Callable[..., Awaitable[User]]


async def kinds(user: User, kind: NotificationType) -> list[Notification]:
    return await Notification.filter(user_id=user.id, type=kind).order_by("id")


async def test_a_team_joining_notifies_the_league_owner_and_members_but_not_the_joiner(
    season: int, make_user: MakeUser
) -> None:
    alice, bob, carol = [await make_user(name) for name in ("alice", "bob", "carol")]
    world = await build_league(season=season, alice=alice, bob=bob)
    # Bob's team joining told Alice, the owner, and nobody else.
    assert await Notification.filter(type=NotificationType.LEAGUE_JOINED).count() == 1

    [joined] = await kinds(alice, NotificationType.LEAGUE_JOINED)
    assert joined.data == {"league_id": world.league.id, "team_id": world.bravo.id}
    assert "Bravo joined Friday Club" in joined.title
    assert await kinds(bob, NotificationType.LEAGUE_JOINED) == []

    drivers = list((await cheap_driver_ids(season)).values())
    charlie = await create_team(
        owner=carol, name="Charlie", driver_ids=drivers, captain_id=drivers[0]
    )
    await join_public(user=carol, league_id=world.league.id, team_id=charlie.id)
    assert [n.data["team_id"] for n in await kinds(alice, NotificationType.LEAGUE_JOINED)] == [
        world.bravo.id,
        charlie.id,
    ]
    assert [n.data["team_id"] for n in await kinds(bob, NotificationType.LEAGUE_JOINED)] == [
        charlie.id
    ]
    assert await kinds(carol, NotificationType.LEAGUE_JOINED) == []

    # Leaving and joining again is a new event; the first one is not repeated.
    await remove_team(user=carol, league_id=world.league.id, team_id=charlie.id)
    await join_public(user=carol, league_id=world.league.id, team_id=charlie.id)
    assert len(await kinds(alice, NotificationType.LEAGUE_JOINED)) == 3


async def test_a_race_locking_notifies_each_team_with_a_counting_lineup_once(
    season: int, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    world = await build_league(season=season, alice=alice, bob=bob)
    race = world.race
    # A team whose first lineup came after the lock has nothing counting for this race.
    drivers = list((await cheap_driver_ids(season)).values())
    late = await create_team(
        owner=bob,
        name="Late",
        driver_ids=drivers,
        captain_id=drivers[1],
        now=race.lock_at + timedelta(hours=1),
    )
    await Race.filter(season_id=season).update(status=RaceStatus.SCHEDULED)

    locked = await lock_due_races(now=race.lock_at)
    assert [r.id for r in locked] == [race.id]
    created = await notify_lineups_locked(races=locked)
    assert sorted((n.user_id, n.data["team_id"]) for n in created) == [
        (alice.id, world.alpha.id),
        (bob.id, world.bravo.id),
    ]
    assert all(n.data["race_id"] == race.id for n in created)
    assert late.id not in {n.data["team_id"] for n in created}

    # The same race again (a redelivered task) notifies nobody twice.
    assert await notify_lineups_locked(races=locked) == []
    assert await Notification.filter(type=NotificationType.LINEUP_LOCKED).count() == 2


async def test_a_correction_that_swaps_two_teams_notifies_both_of_their_new_rank_once(
    season: int, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    world = await build_league(season=season, alice=alice, bob=bob)

    first = await publish_results(season=season, race=world.race, order=ALPHA_AHEAD)
    # First results: both teams start from 0 and Alpha goes ahead, which moves Bravo down.
    moves = {
        n.data["team_id"]: n.data for n in first.notified if n.type == NotificationType.RANK_CHANGED
    }
    assert moves == {
        world.bravo.id: {
            "league_id": world.league.id,
            "team_id": world.bravo.id,
            "old_rank": 1,
            "new_rank": 2,
        }
    }

    corrected = await publish_results(season=season, race=world.race, order=BRAVO_AHEAD)
    ranks = sorted(
        (n.user_id, n.data["team_id"], n.data["old_rank"], n.data["new_rank"])
        for n in corrected.notified
        if n.type == NotificationType.RANK_CHANGED
    )
    assert ranks == [(alice.id, world.alpha.id, 1, 2), (bob.id, world.bravo.id, 2, 1)]
    [bob_moved] = [
        n for n in await kinds(bob, NotificationType.RANK_CHANGED) if n.data["new_rank"] == 1
    ]
    assert bob_moved.title == "Bravo moved up to 1st in Friday Club"

    # Rescoring the same version again changes nothing and notifies nobody.
    from webapp.scoring.rescore import rescore_scores

    again = await rescore_scores(race_id=world.race.id)
    assert await notify_rank_changes(rescore=again, version=corrected.stored.version) == []
    # And replaying the notification step of that version is deduplicated.
    assert (
        await notify_rank_changes(rescore=corrected.rescore, version=corrected.stored.version) == []
    )  # type: ignore[arg-type]
    assert await Notification.filter(type=NotificationType.RANK_CHANGED).count() == 3

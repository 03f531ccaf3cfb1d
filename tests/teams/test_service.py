"""Team domain code on the real database: creating, editing, limits and history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from webapp.errors import AppError
from webapp.models import Lineup, LineupDriver, Team, User
from webapp.teams.service import create_team, get_team_detail, list_my_teams, update_team

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
MakeOwner = Callable[..., Awaitable[User]]


def pick(refs: dict[str, int], *names: str) -> list[int]:
    return [refs[n] for n in names]


async def test_create_team_saves_the_first_lineup(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    ids = list(cheap)
    team = await create_team(
        owner=owner, name=" Slow  Lane ", driver_ids=ids, captain_id=ids[0], now=T0
    )
    assert team.name == "Slow Lane"
    assert team.created_at == T0
    lineup = await Lineup.get(team_id=team.id)
    assert lineup.saved_at == T0
    rows = await LineupDriver.filter(lineup_id=lineup.id)
    assert sorted(r.driver_id for r in rows) == sorted(ids)  # type: ignore[attr-defined]
    assert [r.driver_id for r in rows if r.is_captain] == [ids[0]]  # type: ignore[attr-defined]
    assert sum(r.price for r in rows) == Decimal("42.0")
    detail = await get_team_detail(team_id=team.id)
    assert detail.budget_used == Decimal("42.0") and detail.budget_left == Decimal("58.0")
    assert detail.captain_id == ids[0]
    assert [d.ref for d in detail.drivers] == ["doohan", "lawson", "hadjar", "albon", "bortoleto"]


async def test_a_broken_rule_saves_nothing(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    ids = pick(refs, "max_verstappen", "norris", "leclerc", "russell", "albon")
    with pytest.raises(AppError) as caught:
        await create_team(owner=owner, name="Dream", driver_ids=ids, captain_id=ids[0])
    assert caught.value.code == "over_budget"
    assert caught.value.message == "Lineup costs 117.6, budget is 100.0"
    assert await Team.all().count() == 0 and await Lineup.all().count() == 0


async def test_team_limit_per_season(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner, other = await make_owner(), await make_owner()
    ids = list(cheap)
    for n in range(3):
        await create_team(owner=owner, name=f"Team {n}", driver_ids=ids, captain_id=ids[0])
    with pytest.raises(AppError) as caught:
        await create_team(owner=owner, name="Team 4", driver_ids=ids, captain_id=ids[0])
    assert caught.value.code == "team_limit_reached"
    assert "3 teams" in caught.value.message and "limit is 3" in caught.value.message
    await create_team(owner=other, name="Team 0", driver_ids=ids, captain_id=ids[0])
    assert len(await list_my_teams(owner=owner)) == 3


async def test_names_are_unique_per_owner_ignoring_case(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    ids = list(cheap)
    await create_team(owner=owner, name="Pit Crew", driver_ids=ids, captain_id=ids[0])
    second = await create_team(owner=owner, name="Other", driver_ids=ids, captain_id=ids[0])
    for attempt in (
        create_team(owner=owner, name="pit crew", driver_ids=ids, captain_id=ids[0]),
        update_team(user=owner, team_id=second.id, name="PIT CREW"),
    ):
        with pytest.raises(AppError) as caught:
            await attempt
        assert caught.value.code == "validation_error"
        assert caught.value.details == {"fields": {"name": "already used by another of your teams"}}
    await update_team(user=owner, team_id=second.id, name="Other")  # its own name is fine


async def test_every_save_is_a_new_lineup(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    ids = list(cheap)
    team = await create_team(owner=owner, name="Saver", driver_ids=ids, captain_id=ids[0], now=T0)
    swapped = [*ids[:4], refs["hulkenberg"]]
    await update_team(user=owner, team_id=team.id, driver_ids=swapped, now=T0 + timedelta(hours=1))
    await update_team(user=owner, team_id=team.id, captain_id=ids[1], now=T0 + timedelta(hours=2))
    history = await Lineup.filter(team_id=team.id).order_by("saved_at")
    assert [lineup.saved_at for lineup in history] == [T0 + timedelta(hours=h) for h in range(3)]
    assert [lineup.captain_id for lineup in history] == [ids[0], ids[0], ids[1]]  # type: ignore[attr-defined]
    detail = await get_team_detail(team_id=team.id)
    assert sorted(d.id for d in detail.drivers) == sorted(swapped)
    assert detail.captain_id == ids[1]


async def test_partial_edits_merge_with_the_current_lineup(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    ids = list(cheap)
    team = await create_team(owner=owner, name="Merge", driver_ids=ids, captain_id=ids[0])
    without_captain = [*ids[1:], refs["hulkenberg"]]
    with pytest.raises(AppError) as caught:
        await update_team(user=owner, team_id=team.id, driver_ids=without_captain)
    assert caught.value.code == "captain_not_in_team"
    with pytest.raises(AppError) as caught:
        await update_team(user=owner, team_id=team.id, captain_id=refs["hulkenberg"])
    assert caught.value.code == "captain_not_in_team"
    assert await Lineup.filter(team_id=team.id).count() == 1
    renamed = await update_team(user=owner, team_id=team.id, name="Merged")
    assert renamed.name == "Merged" and await Lineup.filter(team_id=team.id).count() == 1


async def test_only_the_owner_edits(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner, intruder = await make_owner(), await make_owner()
    ids = list(cheap)
    team = await create_team(owner=owner, name="Mine", driver_ids=ids, captain_id=ids[0])
    with pytest.raises(AppError) as caught:
        await update_team(user=intruder, team_id=team.id, name="Stolen")
    assert (caught.value.code, caught.value.status) == ("forbidden", 403)
    with pytest.raises(AppError) as caught:
        await update_team(user=owner, team_id=team.id + 100, name="Ghost")
    assert caught.value.status == 404
    assert (await Team.get(id=team.id)).name == "Mine"

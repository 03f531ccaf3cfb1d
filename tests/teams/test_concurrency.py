"""Simultaneous team edits and creations, each on its own database connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from webapp.errors import AppError
from webapp.models import Lineup, Team, User
from webapp.teams.service import create_team, get_team_detail, update_team

MakeOwner = Callable[..., Awaitable[User]]
REPEATS = range(5)


async def outcomes(*calls: Awaitable[Any]) -> list[str]:
    """Run the calls at once and return "ok" or the error code of each."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, AppError):
            raise result
    return sorted(r.code if isinstance(r, AppError) else "ok" for r in results)


@pytest.mark.parametrize("repeat", REPEATS)
async def test_simultaneous_creations_respect_the_team_limit(
    repeat: int, cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    for n in range(2):
        await create_team(owner=owner, name=f"Existing {n}", driver_ids=cheap, captain_id=cheap[0])
    codes = await outcomes(
        *(
            create_team(owner=owner, name=f"Rush {n}", driver_ids=cheap, captain_id=cheap[0])
            for n in range(5)
        )
    )
    assert codes == ["ok"] + ["team_limit_reached"] * 4
    assert await Team.filter(owner_id=owner.id).count() == 3


@pytest.mark.parametrize("repeat", REPEATS)
async def test_simultaneous_same_name_creations_keep_names_unique(
    repeat: int, cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    codes = await outcomes(
        *(
            create_team(owner=owner, name="Twin", driver_ids=cheap, captain_id=cheap[0])
            for _ in range(3)
        )
    )
    assert codes == ["ok", "validation_error", "validation_error"]
    assert await Team.filter(owner_id=owner.id).count() == 1


@pytest.mark.parametrize("repeat", REPEATS)
async def test_simultaneous_edits_apply_one_after_the_other(
    repeat: int, refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    team = await create_team(owner=owner, name="Contested", driver_ids=cheap, captain_id=cheap[0])
    # Each edit is legal on its own; together (drop driver 4, make driver 4 captain)
    # they are not, so whichever runs second must see the first and fail.
    drop_last = [*cheap[:4], refs["hulkenberg"]]
    codes = await outcomes(
        update_team(user=owner, team_id=team.id, driver_ids=drop_last),
        update_team(user=owner, team_id=team.id, captain_id=cheap[4]),
    )
    assert codes == ["captain_not_in_team", "ok"]
    assert await Lineup.filter(team_id=team.id).count() == 2
    detail = await get_team_detail(team_id=team.id)
    assert detail.captain_id in {d.id for d in detail.drivers}
    assert len(detail.drivers) == 5

"""A lineup's own copy of its driver and constructor ids (scoring reads it) follows its entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from tortoise import connections

from webapp.models import Constructor, Lineup, LineupConstructor, LineupDriver, User
from webapp.teams.service import create_team, update_team

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
MakeOwner = Callable[..., Awaitable[User]]


async def arrays(lineup_id: int) -> tuple[list[int], list[int]]:
    """Return a lineup's stored driver and constructor ids, as the database holds them."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT driver_ids, constructor_ids FROM lineups WHERE id = $1", [lineup_id]
    )
    return list(rows[0]["driver_ids"]), list(rows[0]["constructor_ids"])


async def test_a_saved_lineup_holds_its_drivers_sorted(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    team = await create_team(
        owner=owner, name="Arrays", driver_ids=cheap, captain_id=cheap[0], now=T0
    )
    first = await Lineup.get(team_id=team.id)
    assert await arrays(first.id) == (sorted(cheap), [])
    # A new lineup is a new row with its own copy; the old one keeps what it held.
    swapped = [*cheap[:4], refs["ocon"]]
    await update_team(
        team_id=team.id, user=owner, driver_ids=swapped, captain_id=swapped[0], now=T0
    )
    second = await Lineup.filter(team_id=team.id).order_by("-id").first()
    assert second is not None and second.id != first.id
    assert await arrays(second.id) == (sorted(swapped), [])
    assert await arrays(first.id) == (sorted(cheap), [])


async def test_entries_written_by_hand_are_followed(
    refs: dict[str, int], cheap: list[int], make_owner: MakeOwner
) -> None:
    owner = await make_owner()
    team = await create_team(
        owner=owner, name="By hand", driver_ids=cheap, captain_id=cheap[0], now=T0
    )
    lineup = await Lineup.get(team_id=team.id)
    other = await Lineup.create(team_id=team.id, captain_id=cheap[0], saved_at=T0)
    assert await arrays(other.id) == ([], [])
    conn = connections.get("default")
    # A bulk insert of several lineups' entries in one statement, as a replay loads them.
    await conn.execute_query(
        "INSERT INTO lineup_drivers (lineup_id, driver_id, is_captain, price)"
        " SELECT $1, d, d = $2, 5.0 FROM unnest($3::int[]) d",
        [other.id, cheap[0], cheap[:3]],
    )
    constructors = sorted(c.id for c in await Constructor.all().limit(2))
    await LineupConstructor.bulk_create(
        [
            LineupConstructor(lineup_id=other.id, constructor_id=c, price=Decimal("5.0"))
            for c in constructors
        ]
    )
    assert await arrays(other.id) == (sorted(cheap[:3]), constructors)
    # An entry removed, and one moved to another lineup: both lineups are gathered again.
    await LineupDriver.filter(lineup_id=other.id, driver_id=cheap[2]).delete()
    assert await arrays(other.id) == (sorted(cheap[:2]), constructors)
    await conn.execute_query(
        "UPDATE lineup_drivers SET lineup_id = $1 WHERE lineup_id = $2 AND driver_id = $3",
        [other.id, lineup.id, cheap[4]],
    )
    assert await arrays(other.id) == (sorted([*cheap[:2], cheap[4]]), constructors)
    assert await arrays(lineup.id) == (sorted(cheap[:4]), [])

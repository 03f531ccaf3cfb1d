"""League fixtures: players with a legal team each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import count

import pytest

from webapp.models import Constructor, Driver, Team, User
from webapp.teams.service import create_team

CHEAP = ("bortoleto", "albon", "hadjar", "lawson", "doohan")
MakeTeam = Callable[..., Awaitable[Team]]


@pytest.fixture
def make_team(season: int) -> MakeTeam:
    """Return `await make_team(owner=None, name=None)`: a legal team (and owner if none given).

    `game="grand_prix"` makes a Grand Prix team with the two cheapest priced constructors.
    """
    numbers = count(1)

    async def make(
        owner: User | None = None, name: str | None = None, game: str = "classic"
    ) -> Team:
        n = next(numbers)
        if owner is None:
            owner = await User.create(
                email=f"owner{n}@example.com",
                username=f"owner{n}",
                display_name=f"Owner {n}",
                password_hash="not-a-real-hash",
            )
        drivers = {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=CHEAP)}
        ids = [drivers[ref] for ref in CHEAP]
        cars: list[int] = []
        if game != "classic":
            cheapest = Constructor.filter(season_id=season, price__isnull=False).order_by("price")
            cars = list(await cheapest.limit(2).values_list("id", flat=True))
        return await create_team(
            owner=owner,
            name=name or f"Team {n}",
            driver_ids=ids,
            captain_id=ids[0],
            game=game,
            constructor_ids=cars,
        )

    return make

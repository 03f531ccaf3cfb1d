"""Team fixtures shared by the team tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from webapp.models import Driver, User

# Five cheap drivers from five constructors: a legal lineup costing 42.0.
CHEAP = ("bortoleto", "albon", "hadjar", "lawson", "doohan")


@pytest.fixture
async def refs(season: int) -> dict[str, int]:
    """Map each driver ref of the bundled season to its id."""
    return {d.ref: d.id for d in await Driver.filter(season_id=season)}


@pytest.fixture
def cheap(refs: dict[str, int]) -> list[int]:
    """Return the ids of the cheap legal lineup."""
    return [refs[name] for name in CHEAP]


@pytest.fixture
def make_owner(db: None) -> Callable[..., Awaitable[User]]:
    """Return a factory of plain users (no password needed for domain tests)."""
    counter = iter(range(1, 10_000))

    async def make(name: str | None = None, *, is_admin: bool = False) -> User:
        name = name or f"player{next(counter)}"
        return await User.create(
            email=f"{name}@example.com",
            username=name,
            display_name=name.title(),
            password_hash="not-a-real-hash",
            is_admin=is_admin,
        )

    return make

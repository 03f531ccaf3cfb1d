"""The rules of a lineup (product.md §3), as pure functions over plain data.

The API and the team builder page both call `lineup_errors`, so a player sees in
the browser exactly the errors the API would answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from webapp.errors import AppError
from webapp.games.classic import CLASSIC
from webapp.games.model import Game
from webapp.games.roster import ConstructorInfo, roster_errors

# The classic game's roster, which every team plays until teams carry a game.
BUDGET = CLASSIC.roster.budget
LINEUP_SIZE = CLASSIC.roster.drivers
PER_CONSTRUCTOR = CLASSIC.roster.per_constructor
NAME_MIN = 3
NAME_MAX = 30


@dataclass(frozen=True)
class DriverInfo:
    """What the rules need to know about one driver."""

    id: int
    name: str
    constructor_id: int | None
    constructor_name: str
    price: Decimal


@dataclass(frozen=True)
class RuleError:
    """One broken rule: its api.md code, a message with the numbers, the form field."""

    code: str
    message: str
    field: str

    def to_app_error(self) -> AppError:
        """Return the API error for this broken rule."""
        return AppError(self.code, self.message, field=self.field)


def money(value: Decimal) -> str:
    """Format a price with its one decimal."""
    return f"{value:.1f}"


def lineup_cost(driver_ids: Sequence[int], drivers: Mapping[int, DriverInfo]) -> Decimal:
    """Return the total price of the known drivers in a pick, each counted once."""
    return sum((drivers[i].price for i in set(driver_ids) if i in drivers), Decimal("0.0"))


def lineup_errors(
    *,
    driver_ids: Sequence[int],
    captain_id: int | None,
    drivers: Mapping[int, DriverInfo],
    budget: Decimal = BUDGET,
) -> list[RuleError]:
    """Return every rule the lineup breaks, in api.md precedence order: the classic roster's."""
    game = CLASSIC
    if budget != game.roster.budget:
        game = replace(game, roster=replace(game.roster, budget=budget))
    broken = roster_errors(game=game, driver_ids=driver_ids, captain_id=captain_id, drivers=drivers)
    return [RuleError(e.code, e.message, e.field or "driver_ids") for e in broken]


def check_lineup(
    *,
    driver_ids: Sequence[int],
    captain_id: int | None,
    drivers: Mapping[int, DriverInfo],
    budget: Decimal = BUDGET,
) -> None:
    """Raise the first broken rule of a lineup as an `AppError`."""
    errors = lineup_errors(
        driver_ids=driver_ids, captain_id=captain_id, drivers=drivers, budget=budget
    )
    if errors:
        raise errors[0].to_app_error()


def roster_problems(
    *,
    game: Game,
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int],
    captain_id: int | None,
    drivers: Mapping[int, DriverInfo],
    constructors: Mapping[int, ConstructorInfo],
) -> list[RuleError]:
    """Return every rule of `game`'s roster the pick breaks, the first one first."""
    problems: list[RuleError] = []
    if game.roster.constructors == 0 and constructor_ids:
        problems.append(
            RuleError(
                "wrong_constructor_count",
                f"A {game.title} lineup holds drivers only; {len(constructor_ids)}"
                " constructor(s) picked",
                "constructor_ids",
            )
        )
    if game.name == CLASSIC.name:
        # The classic rules answer exactly as they always did.
        classic = lineup_errors(driver_ids=driver_ids, captain_id=captain_id, drivers=drivers)
        return problems + classic
    broken = roster_errors(
        game=game,
        driver_ids=driver_ids,
        constructor_ids=constructor_ids if game.roster.constructors else (),
        captain_id=captain_id,
        drivers=drivers,
        constructors=constructors,
    )
    return problems + [RuleError(e.code, e.message, e.field or "driver_ids") for e in broken]


def roster_cost(
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int],
    drivers: Mapping[int, DriverInfo],
    constructors: Mapping[int, ConstructorInfo],
) -> Decimal:
    """Return the total price of the known drivers and constructors in a pick, each once."""
    cars = sum(
        (constructors[i].price for i in set(constructor_ids) if i in constructors), Decimal("0.0")
    )
    return lineup_cost(driver_ids, drivers) + cars


def clean_name(name: str) -> str:
    """Return a team name stripped of outer spaces, or raise if its length is wrong."""
    cleaned = " ".join(name.split())
    if not NAME_MIN <= len(cleaned) <= NAME_MAX:
        raise AppError(
            "validation_error",
            f"Team name must be {NAME_MIN} to {NAME_MAX} characters; it has {len(cleaned)}",
            details={"fields": {"name": f"must be {NAME_MIN} to {NAME_MAX} characters"}},
            field="name",
        )
    return cleaned

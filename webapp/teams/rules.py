"""The rules of a lineup (product.md §3), as pure functions over plain data.

The API and the team builder page both call `lineup_errors`, so a player sees in
the browser exactly the errors the API would answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from webapp.errors import AppError
from webapp.games.classic import CLASSIC

# The classic game's roster, which every team plays until teams carry a game.
BUDGET = CLASSIC.roster.budget
LINEUP_SIZE = CLASSIC.roster.drivers
PER_CONSTRUCTOR = CLASSIC.roster.per_constructor
NAME_MIN = 3
NAME_MAX = 30

# api.md: a lineup breaking several rules gets the first of these.
PRECEDENCE = (
    "unknown_driver",
    "duplicate_driver",
    "wrong_driver_count",
    "captain_not_in_team",
    "too_many_from_constructor",
    "over_budget",
)


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
    """Return every rule the lineup breaks, in api.md precedence order."""
    errors: list[RuleError] = []
    unknown = [i for i in driver_ids if i not in drivers]
    if unknown:
        listed = ", ".join(str(i) for i in dict.fromkeys(unknown))
        errors.append(
            RuleError(
                "unknown_driver",
                f"No driver with id {listed} races this season",
                "driver_ids",
            )
        )
    repeated = [i for i, n in Counter(driver_ids).items() if n > 1]
    if repeated:
        names = ", ".join(_name(i, drivers) for i in repeated)
        errors.append(RuleError("duplicate_driver", f"{names} picked more than once", "driver_ids"))
    if len(driver_ids) != LINEUP_SIZE:
        errors.append(
            RuleError(
                "wrong_driver_count",
                f"A lineup has exactly {LINEUP_SIZE} drivers; {len(driver_ids)} picked",
                "driver_ids",
            )
        )
    if captain_id is None:
        errors.append(
            RuleError("captain_not_in_team", "Choose a captain among your drivers", "captain_id")
        )
    elif captain_id not in driver_ids:
        errors.append(
            RuleError(
                "captain_not_in_team",
                f"The captain ({_name(captain_id, drivers)}) must be one of the picked drivers",
                "captain_id",
            )
        )
    per_team = Counter(
        drivers[i].constructor_id
        for i in set(driver_ids)
        if i in drivers and drivers[i].constructor_id is not None
    )
    crowded = [c for c, n in per_team.items() if n > PER_CONSTRUCTOR]
    for constructor_id in crowded:
        name = next(
            d.constructor_name for d in drivers.values() if d.constructor_id == constructor_id
        )
        errors.append(
            RuleError(
                "too_many_from_constructor",
                f"{per_team[constructor_id]} drivers from {name}; at most {PER_CONSTRUCTOR}"
                " from one constructor",
                "driver_ids",
            )
        )
    cost = lineup_cost(driver_ids, drivers)
    if cost > budget:
        errors.append(
            RuleError(
                "over_budget",
                f"Lineup costs {money(cost)}, budget is {money(budget)}",
                "driver_ids",
            )
        )
    return sorted(errors, key=lambda error: PRECEDENCE.index(error.code))


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


def _name(driver_id: int, drivers: Mapping[int, DriverInfo]) -> str:
    info = drivers.get(driver_id)
    return info.name if info else f"driver {driver_id}"

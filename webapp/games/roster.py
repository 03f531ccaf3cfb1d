"""A game's roster rules over plain data: the API codes of api.md, the first broken rule wins."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from webapp.errors import AppError
from webapp.games.model import Game

# api.md's driver rules in their order, with the constructor rules beside their driver twins.
PRECEDENCE = (
    "unknown_driver",
    "unknown_constructor",
    "duplicate_driver",
    "duplicate_constructor",
    "wrong_driver_count",
    "wrong_constructor_count",
    "captain_not_in_team",
    "too_many_from_constructor",
    "over_budget",
)


class DriverLike(Protocol):
    """What the roster rules read of a driver."""

    @property
    def name(self) -> str: ...
    @property
    def constructor_id(self) -> int | None: ...
    @property
    def constructor_name(self) -> str: ...
    @property
    def price(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class ConstructorInfo:
    """What the roster rules read of a constructor."""

    id: int
    name: str
    price: Decimal


def roster_errors(
    *,
    game: Game,
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int] = (),
    captain_id: int | None,
    drivers: Mapping[int, DriverLike],
    constructors: Mapping[int, ConstructorInfo] | None = None,
) -> list[AppError]:
    """Return every roster rule of `game` the pick breaks, in api.md precedence order."""
    rules = game.roster
    known_constructors = constructors or {}
    errors = [
        *_asset_errors("driver", driver_ids, drivers, rules.drivers, "driver_ids"),
        *_asset_errors(
            "constructor",
            constructor_ids,
            known_constructors,
            rules.constructors,
            "constructor_ids",
        ),
    ]
    if rules.captain and captain_id is None:
        errors.append(
            _error("captain_not_in_team", "Choose a captain among your drivers", "captain_id")
        )
    elif rules.captain and captain_id not in driver_ids:
        errors.append(
            _error(
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
    for constructor_id, count in per_team.items():
        if count > rules.per_constructor:
            name = next(
                d.constructor_name for d in drivers.values() if d.constructor_id == constructor_id
            )
            errors.append(
                _error(
                    "too_many_from_constructor",
                    f"{count} drivers from {name}; at most {rules.per_constructor}"
                    " from one constructor",
                    "driver_ids",
                )
            )
    cost = sum((drivers[i].price for i in set(driver_ids) if i in drivers), Decimal("0.0")) + sum(
        (known_constructors[i].price for i in set(constructor_ids) if i in known_constructors),
        Decimal("0.0"),
    )
    if cost > rules.budget:
        what = "Lineup" if rules.constructors == 0 else "Roster"
        errors.append(
            _error(
                "over_budget",
                f"{what} costs {cost:.1f}, budget is {rules.budget:.1f}",
                "driver_ids",
            )
        )
    return sorted(errors, key=lambda error: PRECEDENCE.index(error.code))


def check_roster(
    *,
    game: Game,
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int] = (),
    captain_id: int | None,
    drivers: Mapping[int, DriverLike],
    constructors: Mapping[int, ConstructorInfo] | None = None,
) -> None:
    """Raise the first roster rule of `game` the pick breaks, as an `AppError`."""
    errors = roster_errors(
        game=game,
        driver_ids=driver_ids,
        constructor_ids=constructor_ids,
        captain_id=captain_id,
        drivers=drivers,
        constructors=constructors,
    )
    if errors:
        raise errors[0]


def _asset_errors(
    kind: str,
    ids: Sequence[int],
    known: Mapping[int, DriverLike] | Mapping[int, ConstructorInfo],
    size: int,
    field: str,
) -> list[AppError]:
    errors: list[AppError] = []
    unknown = [i for i in ids if i not in known]
    if unknown:
        listed = ", ".join(str(i) for i in dict.fromkeys(unknown))
        errors.append(
            _error(f"unknown_{kind}", f"No {kind} with id {listed} races this season", field)
        )
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    if repeated:
        names = ", ".join(known[i].name if i in known else f"{kind} {i}" for i in repeated)
        errors.append(_error(f"duplicate_{kind}", f"{names} picked more than once", field))
    if len(ids) != size:
        if kind == "driver":
            message = f"A lineup has exactly {size} drivers; {len(ids)} picked"
        else:
            message = f"A roster has exactly {size} constructors; {len(ids)} picked"
        errors.append(_error(f"wrong_{kind}_count", message, field))
    return errors


def _error(code: str, message: str, field: str) -> AppError:
    return AppError(code, message, field=field)


def _name(driver_id: int | None, drivers: Mapping[int, DriverLike]) -> str:
    info = drivers.get(driver_id) if driver_id is not None else None
    return info.name if info else f"driver {driver_id}"

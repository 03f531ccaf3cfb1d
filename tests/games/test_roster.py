"""A game's roster rules answer with api.md's codes; classic's answer as the team rules do."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from webapp.errors import AppError
from webapp.games import roster
from webapp.games.classic import CLASSIC
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.roster import ConstructorInfo
from webapp.settings import ROOT
from webapp.teams import rules
from webapp.teams.rules import DriverInfo

SEASON = json.loads((ROOT / "webapp" / "catalogue" / "season_2024.json").read_text())
TEAMS = {c["ref"]: i for i, c in enumerate(SEASON["constructors"], start=100)}
NAMES = {c["ref"]: c["name"] for c in SEASON["constructors"]}
DRIVERS = {
    i: DriverInfo(
        id=i,
        name=f"{d['first_name']} {d['last_name']}",
        constructor_id=TEAMS[d["constructor"]],
        constructor_name=NAMES[d["constructor"]],
        price=Decimal(str(d["price"])),
    )
    for i, d in enumerate(SEASON["drivers"], start=1)
}
# The season ships no constructor prices yet; these stand in for the admin's.
CONSTRUCTORS = {
    i: ConstructorInfo(id=i, name=NAMES[ref], price=Decimal("10.0")) for ref, i in TEAMS.items()
}
# Cheapest drivers last: ids 20-24 cost 7.2 to 2.4 (the season's price ladder).
CHEAP = [20, 21, 22, 23, 24]


def gp_error(
    driver_ids: list[int], constructor_ids: list[int], captain_id: int | None
) -> AppError | None:
    try:
        roster.check_roster(
            game=GRAND_PRIX,
            driver_ids=driver_ids,
            constructor_ids=constructor_ids,
            captain_id=captain_id,
            drivers=DRIVERS,
            constructors=CONSTRUCTORS,
        )
    except AppError as error:
        return error
    return None


def test_a_legal_grand_prix_roster_passes() -> None:
    assert gp_error(CHEAP, [100, 101], 20) is None


@pytest.mark.parametrize(
    ("driver_ids", "constructor_ids", "captain_id", "code", "field"),
    [
        (CHEAP, [100], 20, "wrong_constructor_count", "constructor_ids"),
        (CHEAP, [100, 101, 102], 20, "wrong_constructor_count", "constructor_ids"),
        (CHEAP, [100, 100], 20, "duplicate_constructor", "constructor_ids"),
        (CHEAP, [100, 999], 20, "unknown_constructor", "constructor_ids"),
        (CHEAP[:4], [100, 101], 20, "wrong_driver_count", "driver_ids"),
        (CHEAP, [100, 101], 100, "captain_not_in_team", "captain_id"),
        (CHEAP, [100, 101], None, "captain_not_in_team", "captain_id"),
        ([1, 2, 3, 4, 5], [100, 101], 1, "over_budget", "driver_ids"),
    ],
)
def test_each_broken_rule_is_named(
    driver_ids: list[int], constructor_ids: list[int], captain_id: int | None, code: str, field: str
) -> None:
    error = gp_error(driver_ids, constructor_ids, captain_id)
    assert error is not None
    assert (error.code, error.field, error.status) == (code, field, 422)


def test_constructors_count_towards_the_budget() -> None:
    # Drivers 8-12 cost 21.6 + 20.4 + 19.2 + 18.0 + 16.8 = 96.0; constructors add 20.0.
    drivers = [8, 9, 10, 11, 12]
    assert sum((DRIVERS[i].price for i in drivers), Decimal(0)) == Decimal("96.0")
    assert {DRIVERS[i].constructor_id for i in drivers} != {None}
    error = gp_error(drivers, [100, 101], 8)
    assert error is not None and error.code == "over_budget"
    assert error.message == "Roster costs 116.0, budget is 100.0"
    # Without the constructors the same drivers fit the classic budget.
    assert rules.lineup_errors(driver_ids=drivers, captain_id=8, drivers=DRIVERS) == []


def test_at_most_two_drivers_of_one_constructor() -> None:
    # A mid-season move puts a third driver (20) at Red Bull beside 1 and 2.
    moved = replace(DRIVERS[20], constructor_id=TEAMS["red_bull"], constructor_name="Red Bull")
    drivers = {**DRIVERS, 20: moved}
    error = roster.roster_errors(
        game=GRAND_PRIX,
        driver_ids=[1, 2, 20, 23, 24],
        constructor_ids=[100, 101],
        captain_id=1,
        drivers=drivers,
        constructors=CONSTRUCTORS,
    )[0]
    assert error.code == "too_many_from_constructor"
    assert error.message == "3 drivers from Red Bull; at most 2 from one constructor"


def test_the_first_broken_rule_follows_the_contract() -> None:
    # Unknown beats duplicate beats count beats captain beats constructor beats budget.
    error = gp_error([1, 1, 999], [100, 100, 998], 555)
    assert error is not None and error.code == "unknown_driver"
    error = gp_error([1, 1, 2], [100, 100, 101], 555)
    assert error is not None and error.code == "duplicate_driver"


def test_classic_takes_no_constructors() -> None:
    with pytest.raises(AppError) as caught:
        roster.check_roster(
            game=CLASSIC,
            driver_ids=CHEAP,
            constructor_ids=[100],
            captain_id=20,
            drivers=DRIVERS,
            constructors=CONSTRUCTORS,
        )
    assert caught.value.code == "wrong_constructor_count"

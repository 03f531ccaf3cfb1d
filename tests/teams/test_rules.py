"""The lineup rules as pure functions: each rule, its message and the precedence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.errors import AppError
from webapp.teams.rules import DriverInfo, check_lineup, clean_name, lineup_errors


def _driver(i: int, team: int, price: str) -> DriverInfo:
    return DriverInfo(
        id=i,
        name=f"Driver {i}",
        constructor_id=team,
        constructor_name=f"Team {team}",
        price=Decimal(price),
    )


# Ten drivers, two per constructor 1..5, each costing 20.0 (so five cost exactly 100.0).
DRIVERS = {i: _driver(i, (i + 1) // 2, "20.0") for i in range(1, 11)}


def codes(driver_ids: list[int], captain_id: int | None) -> list[str]:
    errors = lineup_errors(driver_ids=driver_ids, captain_id=captain_id, drivers=DRIVERS)
    return [e.code for e in errors]


def test_a_legal_lineup_at_exactly_the_budget_passes() -> None:
    assert codes([1, 3, 5, 7, 9], 1) == []
    check_lineup(driver_ids=[1, 3, 5, 7, 9], captain_id=1, drivers=DRIVERS)


def test_over_budget_says_cost_and_budget() -> None:
    drivers = dict(DRIVERS) | {9: _driver(9, 5, "24.5")}
    errors = lineup_errors(driver_ids=[1, 3, 5, 7, 9], captain_id=1, drivers=drivers)
    assert [(e.code, e.message) for e in errors] == [
        ("over_budget", "Lineup costs 104.5, budget is 100.0")
    ]


def test_wrong_driver_count_says_how_many() -> None:
    errors = lineup_errors(driver_ids=[1, 3, 5], captain_id=1, drivers=DRIVERS)
    assert errors[0].code == "wrong_driver_count"
    assert "exactly 5" in errors[0].message and "3 picked" in errors[0].message


def test_too_many_from_constructor_names_it() -> None:
    drivers = dict(DRIVERS) | {11: _driver(11, 1, "1.0")}
    errors = lineup_errors(driver_ids=[1, 2, 11, 3, 5], captain_id=1, drivers=drivers)
    assert errors[0].code == "too_many_from_constructor"
    assert errors[0].message.startswith("3 drivers from Team 1; at most 2")


def test_captain_must_be_picked() -> None:
    assert codes([1, 3, 5, 7, 9], 2) == ["captain_not_in_team"]
    assert codes([1, 3, 5, 7, 9], None) == ["captain_not_in_team"]


def test_unknown_and_duplicate_drivers() -> None:
    assert codes([1, 3, 5, 7, 99], 1) == ["unknown_driver"]
    assert codes([1, 1, 5, 7, 9], 1) == ["duplicate_driver"]


@pytest.mark.parametrize(
    ("driver_ids", "captain_id", "first"),
    [
        ([1, 1, 99, 2, 3, 4], 42, "unknown_driver"),  # breaks every rule
        ([1, 1, 2, 3, 4, 5], 42, "duplicate_driver"),
        ([1, 2, 3, 4, 5, 6], 42, "wrong_driver_count"),
        ([1, 2, 3, 4, 5], 42, "captain_not_in_team"),
        ([1, 2, 3, 4, 5], 1, "too_many_from_constructor"),
    ],
)
def test_the_first_error_follows_the_contract(
    driver_ids: list[int], captain_id: int, first: str
) -> None:
    drivers = {i: _driver(i, 1, "30.0") for i in range(1, 7)}
    errors = lineup_errors(driver_ids=driver_ids, captain_id=captain_id, drivers=drivers)
    assert errors[0].code == first
    assert errors[-1].code == "over_budget"
    with pytest.raises(AppError) as caught:
        check_lineup(driver_ids=driver_ids, captain_id=captain_id, drivers=drivers)
    assert caught.value.code == first and caught.value.status == 422


def test_team_names_are_trimmed_and_bounded() -> None:
    assert clean_name("  Red   Arrows ") == "Red Arrows"
    for bad in ("ab", "  a  ", "x" * 31):
        with pytest.raises(AppError) as caught:
            clean_name(bad)
        assert caught.value.code == "validation_error"
        assert caught.value.details["fields"].keys() == {"name"}

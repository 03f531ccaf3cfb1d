"""The classic scoring rules, one driver at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from webapp.errors import AppError
from webapp.scoring.systems import CLASSIC, SYSTEMS, get_system, score_driver


def score(text: str | None, fastest: int | None = None, captain: bool = False) -> dict:
    return score_driver(
        CLASSIC, driver_id=7, position_text=text, fastest_lap_rank=fastest, captain=captain
    ).as_dict()


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("1", 25),
        ("2", 18),
        ("3", 15),
        ("4", 12),
        ("5", 10),
        ("6", 8),
        ("7", 6),
        ("8", 4),
        ("9", 2),
        ("10", 1),
        ("11", 0),
        ("20", 0),
    ],
)
def test_classified_positions_score_the_table(text: str, points: int) -> None:
    assert score(text)["position_points"] == points
    assert score(text)["points"] == points


@pytest.mark.parametrize("text", ["R", "D", "E", "W", "F", "N"])
def test_unclassified_finishes_score_nothing(text: str) -> None:
    assert score(text) == {
        "driver_id": 7,
        "captain": False,
        "position_points": 0,
        "bonus_points": 0,
        "multiplier": 1,
        "points": 0,
    }


def test_fastest_lap_outside_the_points_is_five() -> None:
    assert score("18", fastest=1) == {
        "driver_id": 7,
        "captain": False,
        "position_points": 0,
        "bonus_points": 5,
        "multiplier": 1,
        "points": 5,
    }


def test_only_rank_one_earns_the_bonus() -> None:
    assert score("3", fastest=2)["points"] == 15


def test_disqualified_fastest_lap_earns_nothing() -> None:
    assert score("D", fastest=1)["points"] == 0


def test_retired_but_unclassified_keeps_the_bonus() -> None:
    assert score("R", fastest=1)["points"] == 5


def test_captain_doubles_position_and_bonus() -> None:
    assert score("1", fastest=1, captain=True) == {
        "driver_id": 7,
        "captain": True,
        "position_points": 25,
        "bonus_points": 5,
        "multiplier": 2,
        "points": 60,
    }


def test_no_result_scores_nothing() -> None:
    assert score(None, captain=True)["points"] == 0


def test_a_second_system_is_data_only() -> None:
    other = replace(CLASSIC, name="top3", position_points=(3, 2, 1), fastest_lap_bonus=0)
    result = score_driver(other, driver_id=1, position_text="2", fastest_lap_rank=1, captain=True)
    assert (result.points, CLASSIC.position_points[1]) == (4, 18)


def test_unknown_system_is_named_in_the_error() -> None:
    assert get_system("classic") is SYSTEMS["classic"]
    with pytest.raises(AppError) as caught:
        get_system("official")
    assert caught.value.code == "unknown_scoring_system"
    assert "'official'" in caught.value.message

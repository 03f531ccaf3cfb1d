"""The registry names every game, and a new game joins it without touching the others."""

from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal

import pytest

from webapp import games
from webapp.errors import AppError
from webapp.games.classic import CLASSIC
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.model import Game, RosterRules, Scoring, SessionRules
from webapp.scoring.systems import CLASSIC as CLASSIC_SYSTEM

# A toy third game: race finishes only, no captain bonus, a small budget.
TOY = Game(
    name="podium",
    title="Podium",
    summary="Three drivers; only the podium scores.",
    roster=RosterRules(drivers=3, constructors=0, budget=Decimal("50.0"), per_constructor=1),
    scoring=Scoring(race=SessionRules(position_points=(3, 2, 1)), captain_multiplier=1),
)


def test_both_games_are_registered_by_name() -> None:
    assert [game.name for game in games.all()] == ["classic", "grand_prix"]
    assert games.get("classic") is CLASSIC
    assert games.get("grand_prix") is GRAND_PRIX
    assert games.DEFAULT_GAME == "classic"


def test_an_unknown_game_is_refused_naming_the_field() -> None:
    with pytest.raises(AppError) as caught:
        games.get("monopoly")
    assert caught.value.code == "unknown_game"
    assert caught.value.field == "game"
    assert "classic, grand_prix" in caught.value.message


def test_a_third_game_registers_without_changing_the_first_two() -> None:
    before = copy.deepcopy((CLASSIC, GRAND_PRIX))
    with games.registered(TOY):
        assert [game.name for game in games.all()] == ["classic", "grand_prix", "podium"]
        assert games.get("podium") is TOY
        with pytest.raises(ValueError, match="already registered"):
            games.register(replace(TOY, title="Another"))
    assert before == (CLASSIC, GRAND_PRIX)
    assert [game.name for game in games.all()] == ["classic", "grand_prix"]


def test_games_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        GRAND_PRIX.roster.budget = Decimal("200.0")  # type: ignore[misc]


def test_classic_is_the_classic_scoring_system() -> None:
    race = CLASSIC.scoring.race
    assert (
        race.position_points
        == CLASSIC_SYSTEM.position_points
        == (
            25,
            18,
            15,
            12,
            10,
            8,
            6,
            4,
            2,
            1,
        )
    )
    assert race.fastest_lap == 5
    assert race.per_position_gained == race.not_classified == race.disqualified == 0
    assert CLASSIC.scoring.captain_multiplier == 2
    assert CLASSIC.scoring.qualifying is CLASSIC.scoring.sprint is None
    assert (CLASSIC.roster.drivers, CLASSIC.roster.constructors) == (5, 0)
    assert CLASSIC.roster.budget == Decimal("100.0")


def test_grand_prix_holds_the_rules_of_issue_14() -> None:
    scoring = GRAND_PRIX.scoring
    assert scoring.qualifying is not None and scoring.sprint is not None
    assert scoring.qualifying.position_points == (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
    assert scoring.qualifying.no_time == scoring.qualifying.disqualified == -5
    assert scoring.sprint.position_points == (8, 7, 6, 5, 4, 3, 2, 1)
    assert (scoring.sprint.fastest_lap, scoring.sprint.not_classified) == (5, -10)
    assert scoring.sprint.disqualified == -10
    assert scoring.race.position_points == (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
    assert (scoring.race.fastest_lap, scoring.race.driver_of_the_day) == (10, 10)
    assert (scoring.race.not_classified, scoring.race.disqualified) == (-20, -25)
    assert scoring.sprint.per_position_gained == scoring.race.per_position_gained == 1
    assert scoring.constructor is not None
    bonus = scoring.constructor.qualifying_bonus
    assert (bonus.both_q3, bonus.one_q3, bonus.both_q2, bonus.one_q2) == (10, 5, 3, 1)
    assert bonus.neither_leaves_q1 == -1
    roster = GRAND_PRIX.roster
    assert (roster.drivers, roster.constructors, roster.per_constructor) == (5, 2, 2)
    assert roster.budget == Decimal("100.0")

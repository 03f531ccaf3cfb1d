"""The Grand Prix game (issue 14, docs/games.md): drivers and constructors over the weekend."""

from __future__ import annotations

from decimal import Decimal

from webapp.games.model import (
    ConstructorRules,
    Game,
    QualifyingBonus,
    QualifyingRules,
    RosterRules,
    Scoring,
    SessionRules,
)

GRAND_PRIX = Game(
    name="grand_prix",
    title="Grand Prix",
    summary=(
        "Five drivers and two constructors; qualifying, sprint and race points, positions"
        " gained from the grid, penalties for retiring or being disqualified."
    ),
    roster=RosterRules(drivers=5, constructors=2, budget=Decimal("100.0"), per_constructor=2),
    scoring=Scoring(
        qualifying=QualifyingRules(
            position_points=(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), no_time=-5, disqualified=-5
        ),
        sprint=SessionRules(
            position_points=(8, 7, 6, 5, 4, 3, 2, 1),
            per_position_gained=1,
            fastest_lap=5,
            not_classified=-10,
            disqualified=-10,
        ),
        race=SessionRules(
            position_points=(25, 18, 15, 12, 10, 8, 6, 4, 2, 1),
            per_position_gained=1,
            fastest_lap=10,
            driver_of_the_day=10,
            not_classified=-20,
            disqualified=-25,
        ),
        constructor=ConstructorRules(
            qualifying_bonus=QualifyingBonus(
                both_q3=10, one_q3=5, both_q2=3, one_q2=1, neither_leaves_q1=-1
            )
        ),
        captain_multiplier=2,
    ),
    not_scored=("overtakes", "pit_stop_times"),
)

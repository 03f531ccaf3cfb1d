"""The Grand Prix game (issue 14, docs/games.md): drivers and constructors over the weekend."""

from __future__ import annotations

from decimal import Decimal

from webapp.games.model import (
    Chip,
    ConstructorRules,
    Game,
    Market,
    PriceBand,
    PriceRules,
    QualifyingBonus,
    QualifyingRules,
    RosterRules,
    Scoring,
    SessionRules,
    TransferRules,
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
    market=Market(
        bank=Decimal("100.0"),
        transfers=TransferRules(free_per_race=3, max_carry_over=1, penalty_points=-10),
        chips=(
            Chip(
                name="extra_boost",
                title="Extra Boost",
                description="The captain scores three times their points instead of twice.",
                captain_multiplier=3,
            ),
            Chip(
                name="wildcard",
                title="Wildcard",
                description="Unlimited free transfers for this race; the new lineup stays.",
                unlimited_transfers=True,
                after_first_scored_race=True,
            ),
            Chip(
                name="limitless",
                title="Limitless",
                description=(
                    "Unlimited transfers and no budget for this race only; afterwards the"
                    " team returns to the lineup and bank it had before."
                ),
                unlimited_transfers=True,
                no_budget=True,
                reverts_after_race=True,
                after_first_scored_race=True,
            ),
            Chip(
                name="no_negative",
                title="No Negative",
                description=(
                    "Every negative line of this race's breakdown counts 0; the transfer"
                    " penalty still applies."
                ),
                no_negative=True,
            ),
            Chip(
                name="autopilot",
                title="Autopilot",
                description=(
                    "The captain's multiplier goes to whichever of the team's drivers scores"
                    " most in this race, decided after the results."
                ),
                auto_captain=True,
            ),
        ),
        prices=PriceRules(
            form_races=3,
            dear_from=Decimal("18.5"),
            bands=(
                PriceBand(Decimal("1.2"), False, Decimal("0.3"), Decimal("0.6")),
                PriceBand(Decimal("0.9"), True, Decimal("0.1"), Decimal("0.2")),
                PriceBand(Decimal("0.6"), True, Decimal("-0.1"), Decimal("-0.2")),
                PriceBand(None, True, Decimal("-0.3"), Decimal("-0.6")),
            ),
            floor=Decimal("4.5"),
        ),
    ),
)

"""The classic game (product.md §3 and §4): five drivers, race points, fastest lap and a captain.

Its points come from the classic scoring system, which rescoring's SQL reads, so the two
cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

from webapp.games.model import Game, RosterRules, Scoring, SessionRules
from webapp.scoring.systems import CLASSIC as CLASSIC_SYSTEM

CLASSIC = Game(
    name=CLASSIC_SYSTEM.name,
    title="Classic",
    summary=(
        "Five drivers and a captain; race finishing positions, the fastest lap and the"
        " captain's double points."
    ),
    roster=RosterRules(drivers=5, constructors=0, budget=Decimal("100.0"), per_constructor=2),
    scoring=Scoring(
        race=SessionRules(
            position_points=CLASSIC_SYSTEM.position_points,
            fastest_lap=CLASSIC_SYSTEM.fastest_lap_bonus,
            fastest_lap_rank=CLASSIC_SYSTEM.fastest_lap_rank,
            disqualified_texts=CLASSIC_SYSTEM.bonus_void_texts,
        ),
        captain_multiplier=CLASSIC_SYSTEM.captain_multiplier,
    ),
)

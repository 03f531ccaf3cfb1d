"""Rescore a race for one game's teams, with the statement that game's scoring needs.

A game whose scoring is a registered scoring system (classic) keeps that system's
statement and breakdowns; every other game is scored per session from its rules' data.
"""

from __future__ import annotations

from typing import Any

from webapp.games.model import Game
from webapp.scoring.rescore import RescoreResult, rescore_scores
from webapp.scoring.systems import SYSTEMS
from webapp.scoring.weekend import rescore_weekend


def per_session(game: Game) -> bool:
    """Tell whether the game is scored per session (breakdowns in race_asset_scores)."""
    return game.name not in SYSTEMS


def scoring_rules(game: Game) -> dict[str, Any]:
    """Return the game's scoring as the plain data the weekend statement reads."""
    rules: dict[str, Any] = game.as_dict()["scoring"]
    return rules


async def rescore_game(*, race_id: int, game: Game) -> RescoreResult:
    """Rewrite the scores of every team of `game` for a race, in the caller's transaction."""
    if not per_session(game):
        return await rescore_scores(race_id=race_id, system=game.name)
    return await rescore_weekend(
        race_id=race_id, system=game.name, rules=scoring_rules(game), chips=chip_rules(game)
    )


def chip_rules(game: Game) -> list[dict[str, Any]]:
    """Return the game's chips as the plain data the weekend statement reads."""
    market = game.as_dict()["market"]
    return list(market["chips"]) if market else []

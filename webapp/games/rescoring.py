"""Rescore a race for one game's teams, with the statement that game's scoring needs."""

from __future__ import annotations

from webapp.games.model import Game
from webapp.scoring.rescore import RescoreResult, rescore_scores
from webapp.scoring.systems import SYSTEMS


def scored(game: Game) -> bool:
    """Tell whether rescoring has a statement for the game's scoring."""
    return game.name in SYSTEMS


async def rescore_game(*, race_id: int, game: Game) -> RescoreResult:
    """Rewrite the scores of every team of `game` for a race, in the caller's transaction."""
    return await rescore_scores(race_id=race_id, system=game.name)

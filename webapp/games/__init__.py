"""Games as data: each game's roster and scoring rules, and the registry that names them."""

from __future__ import annotations

from webapp.games.model import Game
from webapp.games.registry import DEFAULT_GAME, all, get, register, registered

__all__ = ["DEFAULT_GAME", "Game", "all", "get", "register", "registered"]

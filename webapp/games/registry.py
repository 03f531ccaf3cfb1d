"""The games Paddock knows, by name; a new game registers here without touching the others."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from webapp.errors import AppError
from webapp.games.classic import CLASSIC
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.model import Game

DEFAULT_GAME = CLASSIC.name

_GAMES: dict[str, Game] = {CLASSIC.name: CLASSIC, GRAND_PRIX.name: GRAND_PRIX}


def get(name: str) -> Game:
    """Return the game called `name`, or fail naming the unknown one."""
    try:
        return _GAMES[name]
    except KeyError:
        known = ", ".join(_GAMES)
        raise AppError(
            "unknown_game",
            f"Unknown game {name!r} (known: {known})",
            details={"field": "game", "known": list(_GAMES)},
            field="game",
        ) from None


def all() -> tuple[Game, ...]:
    """Return every registered game, in the order they were registered."""
    return tuple(_GAMES.values())


def register(game: Game) -> Game:
    """Add a game; its name must be new, so no game is ever replaced by another."""
    if game.name in _GAMES:
        raise ValueError(f"A game called {game.name!r} is already registered")
    _GAMES[game.name] = game
    return game


@contextmanager
def registered(game: Game) -> Iterator[Game]:
    """Register a game for the duration of a block, then remove it again."""
    register(game)
    try:
        yield game
    finally:
        del _GAMES[game.name]

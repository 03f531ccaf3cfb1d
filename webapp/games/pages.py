"""The rules pages: every game, and one game's rules written out from its data."""

from __future__ import annotations

from quart import Blueprint, render_template
from quart_schema import hide

from webapp import games
from webapp.fragments import render_block
from webapp.pagecache import wants_fragment

pages = Blueprint("games_pages", __name__)

# How the feed's gaps read on a rules page.
NOT_SCORED = {"overtakes": "overtakes", "pit_stop_times": "pit-stop times"}


@pages.app_template_global()
def game_title(name: str) -> str:
    """Return a game's title for templates; an unknown name stands as it is."""
    return next((game.title for game in games.all() if game.name == name), name)


@pages.get("/games")
@hide
async def game_list() -> str:
    """List the games a team or league can play, each with its summary."""
    context = {"games": games.all()}
    if wants_fragment():
        return await render_block("games/index.html", "games", **context)
    return await render_template("games/index.html", **context)


@pages.get("/games/<game_name>")
@hide
async def game_rules(game_name: str) -> str:
    """Show one game's roster and scoring rules, from the game's own data."""
    game = games.get(game_name[:40])
    context = {
        "game": game,
        "games": games.all(),
        "not_scored": [NOT_SCORED.get(item, item.replace("_", " ")) for item in game.not_scored],
    }
    if wants_fragment():
        return await render_block("games/rules.html", "rules", **context)
    return await render_template("games/rules.html", **context)

"""The home page: the next deadline, the caller's teams and the top of the overall table."""

from __future__ import annotations

from markupsafe import Markup
from quart import Blueprint, render_template

from webapp import games
from webapp.auth.current import current_user
from webapp.catalogue import queries
from webapp.catalogue.queries import countdown
from webapp.clock import app_now
from webapp.leaderboards.bodies import Wanted, read_body
from webapp.leaderboards.pages import HtmlBoard
from webapp.live.render import board_body_id
from webapp.market.prices import market_prices
from webapp.running import configured_season, season_now

pages = Blueprint("home_pages", __name__)
TOP = 10
# The board's own live topic and table body: its updates land here unchanged.
HOME_BOARD = HtmlBoard(
    path="/",
    target="top-board",
    body_id=board_body_id("leaderboard"),
    shared_template="home/_top.html",
    mine_template="home/_mine.html",
)
# A signed-in reader's teams of each other game, ranked on that game's board: its ready
# bytes are the reader's own part alone (the shared part is empty).
OTHER_GAME = HtmlBoard(
    path="/",
    target="my-teams",
    body_id="-",
    shared_template="home/_nothing.html",
    mine_template="home/_mine_game.html",
)


@pages.get("/")
async def home() -> str:
    """Show the next deadline, my teams, the top of the table, the drivers and the calendar."""
    now = app_now()
    user = await current_user()
    season = await season_now()
    upcoming = await queries.next_race(season=season, now=now)
    # The board page's ready bytes: my teams (signed in) beside the top of the table.
    board = await read_body(
        HOME_BOARD,
        Wanted(season=season, limit=TOP),
        user_id=user.id if user else None,
        configured_season=configured_season(),
    )
    others = b""
    if user is not None:
        for game in games.all():
            if game.name == games.DEFAULT_GAME:
                continue
            other = await read_body(
                OTHER_GAME,
                Wanted(season=season, limit=1, game=game.name),
                user_id=user.id,
                configured_season=configured_season(),
            )
            others += other.data
    return await render_template(
        "home/index.html",
        season=season,
        next_race=upcoming,
        countdown=countdown(upcoming.lock_at, now) if upcoming else None,
        # Rendered by our templates, every value escaped by Jinja: safe as it stands.
        board_html=Markup(board.data.decode()),  # noqa: S704  # nosec B704
        other_games_html=Markup(others.decode()),  # noqa: S704  # nosec B704
        live_topics=["leaderboard"],
        races=await queries.list_races(season=season),
        drivers=await queries.list_drivers(season=season),
        # Each game with a market charges its own current price beside the classic one.
        markets=await market_prices(season_id=season),
    )

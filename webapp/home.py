"""The home page: the next deadline, the caller's teams and the top of the overall table."""

from __future__ import annotations

from quart import Blueprint, render_template

from webapp.auth.current import current_user
from webapp.catalogue import queries
from webapp.catalogue.queries import countdown
from webapp.clock import app_now
from webapp.leaderboards.queries import overall_leaderboard
from webapp.live.render import board_body_id

pages = Blueprint("home_pages", __name__)
TOP = 10


@pages.get("/")
async def home() -> str:
    """Show the next deadline, my teams, the top of the table, the drivers and the calendar."""
    now = app_now()
    user = await current_user()
    season = await queries.current_season()
    upcoming = await queries.next_race(season=season, now=now)
    board = await overall_leaderboard(season=season, limit=TOP, user_id=user.id if user else None)
    return await render_template(
        "home/index.html",
        season=season,
        next_race=upcoming,
        countdown=countdown(upcoming.lock_at, now) if upcoming else None,
        board=board,
        mine_ids={row.team_id for row in board.mine},
        # The board's own live topic and table body: its updates land here unchanged.
        live_topics=["leaderboard"],
        body_id=board_body_id("leaderboard"),
        top=TOP,
        races=await queries.list_races(season=season),
        drivers=await queries.list_drivers(season=season),
    )

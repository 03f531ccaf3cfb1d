"""Render what a live topic shows as out-of-band HTML: table rows, the unread badge, toasts.

Everything rendered here is the same for every socket of a topic, so nothing in it may
depend on who is watching (no CSRF tokens, no "your team" marks).
"""

from __future__ import annotations

from typing import Any

from quart import Quart

from webapp import games
from webapp.events import Event
from webapp.leaderboards.queries import Leaderboard, league_leaderboard, overall_leaderboard
from webapp.live.hub import Renderer, Topic
from webapp.models import League
from webapp.notifications.inbox import latest_unread, unread_count

PAGE_SIZE = 50
MAX_TOASTS = 3
BOARD_TEMPLATE = "live/_board.html"
BADGE_TEMPLATE = "live/_badge.html"
TOASTS_TEMPLATE = "live/_toasts.html"


def board_body_id(topic_key: str) -> str:
    """Return the DOM id of the table body that a board topic replaces."""
    return "lb-body-" + topic_key.replace(":", "-")


def board_wants(topic: Topic, event: dict[str, Any]) -> bool:
    """Tell whether an event changes what a board topic shows."""
    kind = event.get("type")
    if kind == Event.SYNC:
        return True
    if kind == Event.MEMBERS:
        return topic.kind == "league" and event.get("league_id") == topic.ident
    if kind != Event.SCORES or event.get("season") != topic.season:
        return False
    # Each game's rescoring announces itself: other games' boards stay as they are. An
    # event naming no game (from a process older than the field) is the default game's.
    if event.get("game", games.DEFAULT_GAME) != topic.game:
        return False
    return topic.kind != "race" or event.get("race_id") == topic.ident


async def read_board(topic: Topic) -> Leaderboard | None:
    """Return the first page of a board topic's table."""
    if topic.kind == "leaderboard":
        return await overall_leaderboard(season=topic.season, limit=PAGE_SIZE, game=topic.game)
    if topic.kind == "race":
        return await overall_leaderboard(race_id=topic.ident, limit=PAGE_SIZE, game=topic.game)
    league = await League.get_or_none(id=topic.ident)
    if league is None:
        return None
    # Sockets were checked when they joined; read as the owner, who may always see it.
    viewer = league.owner_id
    return await league_leaderboard(league_id=topic.ident, limit=PAGE_SIZE, user_id=viewer)


def make_renderer(app: Quart) -> Renderer:
    """Return the hub's renderer, drawing templates from `app`."""

    async def render(name: str, **context: Any) -> str:
        async with app.app_context():
            template = app.jinja_env.get_template(name)
            return await template.render_async(**context)

    async def render_topic(topic: Topic, event: dict[str, Any]) -> str | None:
        if topic.kind == "user":
            kind = event.get("type")
            if kind not in (Event.SYNC, Event.NOTIFICATIONS, Event.READ):
                return None
            html = await render(
                BADGE_TEMPLATE, count=await unread_count(user_id=topic.ident), oob=True
            )
            if kind == Event.NOTIFICATIONS:
                wanted = min(max(int(event.get("count") or 1), 1), MAX_TOASTS)
                fresh = await latest_unread(user_id=topic.ident, limit=wanted)
                if fresh:
                    html += await render(TOASTS_TEMPLATE, notifications=fresh)
            return html
        if not board_wants(topic, event):
            return None
        board = await read_board(topic)
        if board is None:
            return None
        return await render(BOARD_TEMPLATE, board=board, body_id=board_body_id(topic.key), oob=True)

    return render_topic

"""The overall leaderboard page, and the paging helpers every table page shares."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from quart import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from webapp.auth.current import current_user
from webapp.fragments import render_block
from webapp.leaderboards.queries import Leaderboard, overall_leaderboard

pages = Blueprint("leaderboards_pages", __name__)
PAGE_SIZE = 50
BODY_TEMPLATE = "live/_board.html"
BODIES_EXTENSION = "paddock_board_bodies"


def wants_fragment() -> bool:
    """Tell whether htmx asked for a piece of the page (not a boosted whole-page load)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def page_args(args: MultiDict[str, str]) -> tuple[int, int]:
    """Return (offset, limit) for `?page=N`, falling back to the first page on nonsense."""
    raw = args.get("page", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
    return (page - 1) * PAGE_SIZE, PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Pager:
    """Where the previous and next pages of a table are, if anywhere."""

    page: int
    pages: int
    prev_url: str | None
    next_url: str | None


def pager(board: Leaderboard, *, path: str, **params: object) -> Pager:
    """Return the paging links of a board shown at `path`."""
    page = board.offset // board.limit + 1
    pages = max(1, -(-board.total // board.limit))

    def url(number: int) -> str:
        query = {k: v for k, v in params.items() if v is not None} | {"page": number}
        return f"{path}?{urlencode(query)}"

    return Pager(
        page=page,
        pages=pages,
        prev_url=url(page - 1) if page > 1 else None,
        next_url=url(page + 1) if page < pages else None,
    )


BODIES_KEPT = 64


async def board_body(
    board: Leaderboard, body_id: str | None = None, mine_ids: Collection[int] | None = None
) -> Markup:
    """Return a board's table body as HTML, rendered once for every viewer who sees it alike.

    Every anonymous reader of a page, and every player whose teams are not on it, sees the
    same rows: keyed by the rows themselves, the render is shared until a row changes.
    """
    mine = frozenset(mine_ids or ()) & {row.team_id for row in board.items}
    key = (tuple(board.items), body_id, mine)
    kept: OrderedDict[object, Markup] = current_app.extensions.setdefault(
        BODIES_EXTENSION, OrderedDict()
    )
    html = kept.get(key)
    if html is None:
        # The template's output, whose every value Jinja escaped: safe as it stands.
        html = Markup(  # noqa: S704  # nosec B704
            await render_template(BODY_TEMPLATE, board=board, body_id=body_id, mine_ids=mine)
        )
        kept[key] = html
        if len(kept) > BODIES_KEPT:
            kept.popitem(last=False)
    else:
        kept.move_to_end(key)
    return html


@pages.app_context_processor
async def _board_body() -> dict[str, Any]:
    return {"board_body": board_body}


@pages.get("/leaderboard")
async def leaderboard() -> str:
    """Show the season's overall table, a page at a time, with my teams picked out."""
    offset, limit = page_args(request.args)
    user = await current_user()
    board = await overall_leaderboard(offset=offset, limit=limit, user_id=user.id if user else None)
    context = {
        "board": board,
        "pager": pager(board, path="/leaderboard"),
        "mine_ids": {row.team_id for row in board.mine},
        # Live rows are the first page; other pages stay as read.
        "live_topics": ["leaderboard"] if offset == 0 else [],
        "body_id": "lb-body-leaderboard" if offset == 0 else "lb-body-page",
    }
    if wants_fragment():
        return await render_block("leaderboards/index.html", "board", **context)
    return await render_template("leaderboards/index.html", **context)

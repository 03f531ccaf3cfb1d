"""The overall leaderboard page, and the paging and ready-table helpers table pages share."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup
from quart import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

from webapp import games
from webapp.auth.current import current_user
from webapp.fragments import render_block
from webapp.leaderboards.bodies import Wanted, read_body
from webapp.leaderboards.queries import Leaderboard
from webapp.pagecache import page_response, remember_anonymous_page, wants_fragment
from webapp.running import configured_season

pages = Blueprint("leaderboards_pages", __name__)
PAGE_SIZE = 50
SHARED_TEMPLATE = "leaderboards/_shared.html"
MINE_TEMPLATE = "leaderboards/_mine.html"


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


@dataclass(frozen=True, slots=True)
class HtmlBoard:
    """A board page's encoding: the table and pager, with the reader's teams added to it.

    The shared part marks no row; a reader's part is the ids of their teams and the list of
    them, and joining marks those rows in the shared bytes instead of rendering them again.
    """

    path: str  # where the board is shown: its pager's links
    target: str  # the id of the element the pager swaps
    body_id: str  # the id of the table body (a live topic's, on first pages)
    shared_template: str = SHARED_TEMPLATE
    mine_template: str = MINE_TEMPLATE
    empty_mine: bytes = b"\n"

    @property
    def name(self) -> str:
        """Name the encoding in cache keys."""
        return f"html:{self.path}:{self.target}:{self.body_id}:{self.shared_template}"

    async def shared(self, board: Leaderboard) -> bytes:
        """Render the table and pager every reader of the page sees."""
        # A league's board is of its game; an overall board's other pages stay in its game.
        game = board.game if board.league is None and board.game != games.DEFAULT_GAME else None
        html = await render_template(
            self.shared_template,
            board=board,
            pager=pager(board, path=self.path, game=game),
            target=self.target,
            body_id=self.body_id,
        )
        return html.encode()

    async def mine(self, board: Leaderboard) -> bytes:
        """Render the reader's own teams, after the ids of those to mark in the table."""
        ids = ",".join(str(row.team_id) for row in board.mine)
        html = await render_template(self.mine_template, board=board)
        return f"{ids}\n{html}".encode()

    def join(self, shared: bytes, mine: bytes) -> bytes:
        """Put the reader's list above the table and mark their rows in it."""
        ids, _, html = mine.partition(b"\n")
        for team_id in filter(None, ids.split(b",")):
            row = b'<tr id="lb-row-' + team_id + b'"'
            shared = shared.replace(row + b">", row + b' class="mine">', 1)
        return html + shared


def board_topic(game: str) -> str:
    """Return the live topic of a game's overall board: `leaderboard` is classic's."""
    return "leaderboard" if game == games.DEFAULT_GAME else f"leaderboard:{game}"


def race_topic(race_id: int, game: str) -> str:
    """Return the live topic of a game's race board: `race:{id}` is classic's."""
    return f"race:{race_id}" if game == games.DEFAULT_GAME else f"race:{race_id}:{game}"


@pages.get("/leaderboard")
async def leaderboard() -> Response:
    """Show a game's overall table of the season, a page at a time, with my teams picked out."""
    offset, limit = page_args(request.args)
    game = request.args.get("game", games.DEFAULT_GAME)[:40]
    user = await current_user()
    topic = board_topic(game)
    # Live rows are the first page; other pages stay as read.
    body_id = "lb-body-" + topic.replace(":", "-") if offset == 0 else "lb-body-page"
    fmt = HtmlBoard(path="/leaderboard", target="board", body_id=body_id)
    body = await read_body(
        fmt,
        Wanted(offset=offset, limit=limit, game=game),
        user_id=user.id if user else None,
        configured_season=configured_season(),
    )
    context = {
        "season": body.season,
        "game": games.get(game),
        "games": games.all(),
        # Rendered by our templates, every value escaped by Jinja: safe as it stands.
        "board_html": Markup(body.data.decode()),  # noqa: S704  # nosec B704
        "live_topics": [topic] if offset == 0 else [],
    }
    fragment = wants_fragment()
    if fragment:
        html = await render_block("leaderboards/index.html", "board", **context)
    else:
        html = await render_template("leaderboards/index.html", **context)
    remember_anonymous_page(html, fragment=fragment)
    return page_response(html)

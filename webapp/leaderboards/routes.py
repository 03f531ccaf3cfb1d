"""Leaderboards JSON API: overall (season or race) and league tables, sent ready-encoded."""

from __future__ import annotations

import json

from pydantic import Field
from quart import Blueprint, Response, request
from quart_schema import document_response, validate_querystring

from webapp.auth.current import current_user
from webapp.games import DEFAULT_GAME
from webapp.leaderboards.bodies import Body, Wanted, read_body
from webapp.leaderboards.queries import BoardRow, Leaderboard
from webapp.running import configured_season
from webapp.schemas import ApiModel, OwnerRef, Page

api = Blueprint("leaderboards_api", __name__)


class BoardQuery(Page):
    season: int | None = None
    race_id: int | None = None
    game: str = Field(
        default=DEFAULT_GAME, max_length=40, description="Whose teams: a game of GET /games"
    )


class LeagueBoardQuery(Page):
    race_id: int | None = None


class TeamRef(ApiModel):
    id: int
    name: str


class BoardRowOut(ApiModel):
    rank: int
    team: TeamRef
    owner: OwnerRef
    points: int
    rank_change: int


class BoardOut(ApiModel):
    game: str
    items: list[BoardRowOut]
    total: int
    mine: list[BoardRowOut]


def row_out(row: BoardRow) -> BoardRowOut:
    """Shape one leaderboard row for the API."""
    return BoardRowOut(
        rank=row.rank,
        team=TeamRef(id=row.team_id, name=row.team_name),
        owner=OwnerRef(id=row.owner_id, username=row.owner_username),
        points=row.points,
        rank_change=row.rank_change,
    )


class JsonBoard:
    """The API's encoding of a board: `{"game": G, "items": […], "total": N, "mine": […]}`."""

    name = "json"
    empty_mine = b"[]"

    async def shared(self, board: Leaderboard) -> bytes:
        """Encode the items and total, up to where the reader's own rows go."""
        items = _encode([row_out(r).model_dump(mode="json") for r in board.items])
        head = b'{"game":' + _encode(board.game) + b',"items":'
        return head + items + b',"total":' + str(board.total).encode() + b',"mine":'

    async def mine(self, board: Leaderboard) -> bytes:
        """Encode the reader's own rows."""
        return _encode([row_out(r).model_dump(mode="json") for r in board.mine])

    def join(self, shared: bytes, mine: bytes) -> bytes:
        """Close the shared part with the reader's own rows."""
        return shared + mine + b"}"


def _encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


JSON_BOARD = JsonBoard()


async def caller_id() -> int | None:
    """Return the caller's user id, or None when anonymous."""
    user = await current_user()
    return user.id if user else None


def send(body: Body) -> Response:
    """Answer with a ready body, or 304 when the client holds this very one."""
    # contains_weak: compression turns the tag weak, and a weak match is enough for GET.
    if body.etag and request.if_none_match.contains_weak(body.etag):
        response = Response(status=304)
    else:
        response = Response(body.data, content_type="application/json")
    if body.etag:
        response.set_etag(body.etag)
    # The reader's own rows and private leagues are in it: a browser may keep it, no proxy.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@api.get("/leaderboard")
@validate_querystring(BoardQuery)
@document_response(BoardOut)
async def overall(query_args: BoardQuery) -> Response:
    """Rank a game's teams (classic if none named) by season points, or in one race (public)."""
    wanted = Wanted(
        season=query_args.season,
        race_id=query_args.race_id,
        offset=query_args.offset,
        limit=query_args.clamped,
        game=query_args.game,
    )
    return send(
        await read_body(
            JSON_BOARD, wanted, user_id=await caller_id(), configured_season=configured_season()
        )
    )


@api.get("/leagues/<int:league_id>/leaderboard")
@validate_querystring(LeagueBoardQuery)
@document_response(BoardOut)
async def league(league_id: int, query_args: LeagueBoardQuery) -> Response:
    """Rank a league's teams (of the league's game); private leagues: members only."""
    wanted = Wanted(
        league_id=league_id,
        race_id=query_args.race_id,
        offset=query_args.offset,
        limit=query_args.clamped,
    )
    return send(
        await read_body(
            JSON_BOARD, wanted, user_id=await caller_id(), configured_season=configured_season()
        )
    )

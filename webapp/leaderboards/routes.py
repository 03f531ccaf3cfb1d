"""Leaderboards JSON API: overall (season or race) and league tables."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from webapp.auth.current import current_user
from webapp.leaderboards.queries import BoardRow, Leaderboard, league_leaderboard
from webapp.leaderboards.queries import overall_leaderboard as read_overall
from webapp.schemas import ApiModel, Page

api = Blueprint("leaderboards_api", __name__)


class BoardQuery(Page):
    season: int | None = None
    race_id: int | None = None


class LeagueBoardQuery(Page):
    race_id: int | None = None


class TeamRef(ApiModel):
    id: int
    name: str


class OwnerRef(ApiModel):
    id: int
    username: str


class BoardRowOut(ApiModel):
    rank: int
    team: TeamRef
    owner: OwnerRef
    points: int
    rank_change: int


class BoardOut(ApiModel):
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


def board_out(board: Leaderboard) -> BoardOut:
    """Shape a leaderboard page for the API."""
    return BoardOut(
        items=[row_out(r) for r in board.items],
        total=board.total,
        mine=[row_out(r) for r in board.mine],
    )


async def caller_id() -> int | None:
    """Return the caller's user id, or None when anonymous."""
    user = await current_user()
    return user.id if user else None


@api.get("/leaderboard")
@validate_querystring(BoardQuery)
@validate_response(BoardOut)
async def overall(query_args: BoardQuery) -> BoardOut:
    """Rank every team of a season by season points, or by points in one race (public)."""
    board = await read_overall(
        season=query_args.season,
        race_id=query_args.race_id,
        offset=query_args.offset,
        limit=query_args.clamped,
        user_id=await caller_id(),
    )
    return board_out(board)


@api.get("/leagues/<int:league_id>/leaderboard")
@validate_querystring(LeagueBoardQuery)
@validate_response(BoardOut)
async def league(league_id: int, query_args: LeagueBoardQuery) -> BoardOut:
    """Rank a league's teams; private leagues are visible to their members only."""
    board = await league_leaderboard(
        league_id=league_id,
        race_id=query_args.race_id,
        offset=query_args.offset,
        limit=query_args.clamped,
        user_id=await caller_id(),
    )
    return board_out(board)

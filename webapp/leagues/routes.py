"""Leagues JSON API: create, search, read, join, leave or remove, list mine."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from webapp.auth.current import current_user, require_user
from webapp.converters import MAX_ID
from webapp.games import DEFAULT_GAME
from webapp.leagues import service
from webapp.leagues.service import MAX_TEAMS_DEFAULT, LeagueView
from webapp.models import User
from webapp.running import season_now
from webapp.schemas import ApiModel, OwnerRef, Page
from webapp.visibility import is_league_member

api = Blueprint("leagues_api", __name__)


class LeagueIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    is_public: bool
    team_id: int = Field(ge=1, le=MAX_ID)
    max_teams: int = MAX_TEAMS_DEFAULT
    game: str = Field(
        default=DEFAULT_GAME, max_length=40, description="A game of GET /games; classic if absent"
    )


class JoinByCodeIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    invite_code: str = Field(max_length=40)
    team_id: int = Field(ge=1, le=MAX_ID)


class JoinIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    team_id: int = Field(ge=1, le=MAX_ID)


class LeagueQuery(Page):
    q: str = Field(default="", max_length=50, description="Part of the name, any case")
    season: int | None = Field(default=None, ge=1, le=MAX_ID)
    game: str | None = Field(default=None, max_length=40, description="Only leagues of this game")


class LeagueOut(ApiModel):
    id: int
    name: str
    season: int
    game: str
    is_public: bool
    invite_code: str | None = Field(description="Members only; null for others")
    owner: OwnerRef
    max_teams: int
    team_count: int


class LeagueList(ApiModel):
    items: list[LeagueOut]
    total: int


async def league_out(view: LeagueView, *, viewer: User | None) -> LeagueOut:
    """Shape a league; its invite code only for members."""
    league = view.league
    member = viewer is not None and await is_league_member(league=league, user_id=viewer.id)
    return LeagueOut(
        id=league.id,
        name=league.name,
        season=league.season_id,
        game=league.game,
        is_public=league.is_public,
        invite_code=league.invite_code if member else None,
        owner=OwnerRef(id=view.owner.id, username=view.owner.username),
        max_teams=league.max_teams,
        team_count=view.team_count,
    )


@api.post("/leagues")
@validate_request(LeagueIn)
@validate_response(LeagueOut, 201)
async def create(data: LeagueIn) -> tuple[LeagueOut, int]:
    """Create a league for a game (classic if none) and enter one of the caller's teams."""
    user = await require_user()
    league = await service.create_league(
        owner=user,
        name=data.name,
        is_public=data.is_public,
        team_id=data.team_id,
        max_teams=data.max_teams,
        game=data.game,
    )
    return await league_out(await service.league_view(league=league), viewer=user), 201


@api.get("/leagues")
@validate_querystring(LeagueQuery)
@validate_response(LeagueList)
async def search(query_args: LeagueQuery) -> LeagueList:
    """Search public leagues by name (public)."""
    viewer = await current_user()
    season = query_args.season or await season_now()
    views, total = await service.search_public(
        season=season,
        q=query_args.q,
        game=query_args.game,
        limit=query_args.clamped,
        offset=query_args.offset,
    )
    return LeagueList(items=[await league_out(v, viewer=viewer) for v in views], total=total)


@api.get("/leagues/<int:league_id>")
@validate_response(LeagueOut)
async def read(league_id: int) -> LeagueOut:
    """Return a league; private ones only to their members (else 404)."""
    viewer = await current_user()
    league = await service.get_league(league_id=league_id, viewer=viewer)
    return await league_out(await service.league_view(league=league), viewer=viewer)


@api.post("/leagues/join")
@validate_request(JoinByCodeIn)
@validate_response(LeagueOut)
async def join_by_code(data: JoinByCodeIn) -> LeagueOut:
    """Enter one of the caller's teams with an invite code."""
    user = await require_user()
    league = await service.join_by_code(
        user=user, invite_code=data.invite_code, team_id=data.team_id
    )
    return await league_out(await service.league_view(league=league), viewer=user)


@api.post("/leagues/<int:league_id>/join")
@validate_request(JoinIn)
@validate_response(LeagueOut)
async def join_public(league_id: int, data: JoinIn) -> LeagueOut:
    """Enter one of the caller's teams into a public league."""
    user = await require_user()
    league = await service.join_public(user=user, league_id=league_id, team_id=data.team_id)
    return await league_out(await service.league_view(league=league), viewer=user)


@api.delete("/leagues/<int:league_id>/teams/<int:team_id>")
async def remove(league_id: int, team_id: int) -> Response:
    """Take a team out: its owner leaves, or the league owner removes it."""
    user = await require_user()
    await service.remove_team(user=user, league_id=league_id, team_id=team_id)
    return Response(status=204)


@api.get("/users/me/leagues")
@validate_querystring(Page)
@validate_response(LeagueList)
async def mine(query_args: Page) -> LeagueList:
    """List the leagues the caller owns or has a team in, this season."""
    user = await require_user()
    views = await service.my_leagues(user=user, season=await season_now())
    items = [await league_out(v, viewer=user) for v in query_args.window(views)]
    return LeagueList(items=items, total=len(views))

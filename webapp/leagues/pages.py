"""League pages: my leagues and search, create, join by code, and the league itself."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from quart import Blueprint, Response, render_template, request
from quart_schema import hide

from webapp import games
from webapp.auth.current import current_user, require_user
from webapp.converters import MAX_ID
from webapp.errors import AppError
from webapp.fragments import render_block
from webapp.leaderboards.bodies import Wanted, read_body
from webapp.leaderboards.pages import HtmlBoard, page_args
from webapp.leagues import service
from webapp.leagues.service import MAX_TEAMS_DEFAULT
from webapp.models import League, LeagueMember, Team, User
from webapp.pagecache import anonymous_page, page_response
from webapp.responses import redirect_to
from webapp.running import configured_season, season_now
from webapp.teams.pages import wants_fragment
from webapp.teams.service import list_my_teams
from webapp.visibility import is_league_member, may_see_league

pages = Blueprint("leagues_pages", __name__)
PAGE_SIZE = 20


def form_errors(error: AppError) -> dict[str, str]:
    """Return field -> message for a form; `_form` holds a message with no field."""
    return {error.field or "_form": error.message}


def as_int(value: str | None) -> int:
    """Return a form's id or offset, or -1 (no such row) when it is not one."""
    number = int(value) if value and value.strip().isdigit() else -1
    return number if number <= MAX_ID else -1


@pages.get("/leagues")
@hide
async def leagues() -> str:
    """List my leagues and search public ones; htmx gets only the search results."""
    user = await current_user()
    season = await season_now()
    q = request.args.get("q", "").strip()[:50]
    offset = max(0, as_int(request.args.get("offset")))
    found, total = await service.search_public(season=season, q=q, limit=PAGE_SIZE, offset=offset)
    context: dict[str, Any] = {
        "q": q,
        "found": found,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "mine": await service.my_leagues(user=user, season=season) if user else [],
        "titles": {game.name: game.title for game in games.all()},
    }
    if wants_fragment():
        return await render_block("leagues/index.html", "results", **context)
    return await render_template("leagues/index.html", **context)


@pages.route("/leagues/new", methods=["GET", "POST"])
@hide
async def new_league() -> Response:
    """Show the new-league form, or create the league with one of my teams."""
    user = await require_user()
    teams = await list_my_teams(owner=user)
    values: dict[str, Any] = {
        "name": "",
        "is_public": False,
        "max_teams": MAX_TEAMS_DEFAULT,
        "game": request.args.get("game", games.DEFAULT_GAME)[:40],
    }
    if request.method == "GET":
        return await _render("leagues/new.html", teams=teams, values=values)
    form = await request.form
    values = {
        "name": form.get("name", ""),
        "is_public": bool(form.get("is_public")),
        "max_teams": form.get("max_teams", ""),
        "team_id": as_int(form.get("team_id")),
        "game": form.get("game", games.DEFAULT_GAME)[:40],
    }
    try:
        max_teams = int(values["max_teams"])
    except ValueError:
        error = AppError("validation_error", "Maximum teams must be a number", field="max_teams")
        return await _render("leagues/new.html", error=error, teams=teams, values=values)
    try:
        league = await service.create_league(
            owner=user,
            name=values["name"],
            is_public=values["is_public"],
            team_id=values["team_id"],
            max_teams=max_teams,
            game=values["game"],
        )
    except AppError as error:
        return await _render("leagues/new.html", error=error, teams=teams, values=values)
    return redirect_to(f"/leagues/{league.id}")


@pages.route("/leagues/join", methods=["GET", "POST"])
@hide
async def join_by_code() -> Response:
    """Show the join-by-code form, or enter one of my teams with the code."""
    user = await require_user()
    teams = await list_my_teams(owner=user)
    if request.method == "GET":
        values: dict[str, Any] = {"invite_code": request.args.get("code", "")[:40]}
        return await _render("leagues/join.html", teams=teams, values=values)
    form = await request.form
    code, team_id = form.get("invite_code", "")[:40], as_int(form.get("team_id"))
    values = {"invite_code": code, "team_id": team_id}
    try:
        league = await service.join_by_code(user=user, invite_code=code, team_id=team_id)
    except AppError as error:
        if error.status == 403:
            raise
        return await _render("leagues/join.html", error=error, teams=teams, values=values)
    return redirect_to(f"/leagues/{league.id}")


@pages.get("/leagues/<int:league_id>")
@hide
async def league_page(league_id: int) -> Response:
    """Show a league: its live table, the invite code to members, join and leave buttons."""
    user = await current_user()
    league = await service.get_league(league_id=league_id, viewer=user)
    context = await _league_context(league, user)
    answer = anonymous_page if user is None else page_response
    if wants_fragment():
        return answer(await render_block("leagues/league.html", "board", **context))
    context.update(values={}, errors={})
    return answer(await render_template("leagues/league.html", **context))


@pages.post("/leagues/<int:league_id>/join")
@hide
async def join_public(league_id: int) -> Response:
    """Enter one of my teams into the league (public, or private with its code)."""
    user = await require_user()
    league = await service.get_league(league_id=league_id, viewer=user)
    team_id = as_int((await request.form).get("team_id"))
    try:
        if league.is_public:
            await service.join_public(user=user, league_id=league.id, team_id=team_id)
        else:
            await service.join_by_code(user=user, invite_code=league.invite_code, team_id=team_id)
    except AppError as error:
        if error.status in (403, 404):
            raise
        context = await _league_context(league, user)
        return await _render("leagues/league.html", error=error, **context)
    return redirect_to(f"/leagues/{league.id}")


@pages.post("/leagues/<int:league_id>/teams/<int:team_id>/remove")
@hide
async def remove_team(league_id: int, team_id: int) -> Response:
    """Leave with my team, or (league owner) remove a team."""
    user = await require_user()
    league = await service.get_league(league_id=league_id, viewer=user)
    try:
        await service.remove_team(user=user, league_id=league.id, team_id=team_id)
    except AppError as error:
        if error.status in (403, 404):
            raise
        context = await _league_context(league, user)
        return await _render("leagues/league.html", error=error, **context)
    remaining = await League.get_or_none(id=league.id)
    if remaining is None or not await may_see_league(league=remaining, user_id=user.id):
        return redirect_to("/leagues")
    return redirect_to(f"/leagues/{league.id}")


async def _league_context(league: League, user: User | None) -> dict[str, Any]:
    offset, limit = page_args(request.args)
    # The first page updates live; other pages stay as read.
    body_id = f"lb-body-league-{league.id}" if offset == 0 else "lb-body-page"
    fmt = HtmlBoard(path=f"/leagues/{league.id}", target="league-board", body_id=body_id)
    board = await read_body(
        fmt,
        Wanted(league_id=league.id, offset=offset, limit=limit),
        user_id=user.id if user else None,
        configured_season=configured_season(),
    )
    # The owner manages every team; anyone else sees only their own (a public league may
    # hold thousands, which no page should load to show none of them).
    if user is None:
        members: list[Team] = []
    else:
        owner = None if user.id == league.owner_id else user.id
        members = await service.league_members(league=league, owner_id=owner)
    member = user is not None and await is_league_member(league=league, user_id=user.id)
    joinable: list[Team] = []
    if user is not None and (league.is_public or member):
        inside = {t.id for t in members}
        # Only teams of the league's game may join: the others are not offered.
        joinable = [
            t
            for t in await list_my_teams(owner=user, season=league.season_id)
            if t.id not in inside and t.game == league.game
        ]
    return {
        "league": league,
        "game": games.get(league.game),
        "members": members,
        # Rendered by our templates, every value escaped by Jinja: safe as it stands.
        "board_html": Markup(board.data.decode()),  # noqa: S704  # nosec B704
        "live_topics": [f"league:{league.id}"] if offset == 0 else [],
        "is_member": member,
        "is_owner": user is not None and user.id == league.owner_id,
        "user": user,
        "joinable": joinable,
        "team_count": await LeagueMember.filter(league_id=league.id).count(),
    }


async def _render(template: str, *, error: AppError | None = None, **context: Any) -> Response:
    context.setdefault("values", {})
    context.setdefault("games", games.all())
    context.setdefault("titles", {game.name: game.title for game in games.all()})
    context["errors"] = form_errors(error) if error else {}
    html = await render_template(template, **context)
    return Response(html, status=422 if error else 200)

"""Team pages: the builder (new and edit), the team page and my teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import groupby
from typing import Any

from markupsafe import Markup
from quart import Blueprint, Response, current_app, render_template, request
from quart_schema import hide
from werkzeug.datastructures import MultiDict

from webapp import cache, games
from webapp.auth.current import current_user, require_user
from webapp.catalogue.queries import list_drivers
from webapp.clock import app_now
from webapp.errors import AppError
from webapp.fragments import render_block
from webapp.games.roster import ConstructorInfo
from webapp.market.chips import cancel_chip, chip_states, play_chip
from webapp.models import Constructor, Driver, League, Team
from webapp.pagecache import PARTS, anonymous_page, page_response, shared_html
from webapp.responses import redirect_to
from webapp.running import configured_season, season_now
from webapp.teams import rules, service
from webapp.teams.deadline import Deadline, next_deadline
from webapp.teams.locks import locked_lineups, locked_race_count
from webapp.teams.rules import DriverInfo, RuleError
from webapp.teams.service import TeamDetail

pages = Blueprint("teams_pages", __name__)
TEMPLATE = "teams/builder.html"


@pages.app_context_processor
async def _deadline() -> dict[str, Any]:
    # A function, not a value: only pages that show the deadline pay for the query.
    async def deadline() -> Deadline | None:
        return await next_deadline(now=app_now(), configured_season=configured_season())

    return {"next_deadline": deadline}


def wants_fragment() -> bool:
    """Tell whether htmx asked for a piece of the page rather than the whole of it."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def parse_ids(values: Sequence[str], *, field: str = "driver_ids") -> list[int]:
    """Return the picked ids of a form field, refusing anything that is not a number."""
    what = "constructors" if field == "constructor_ids" else "drivers"
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise AppError("validation_error", f"Pick {what} from the list", field=field) from None


def parse_captain(value: str | None) -> int | None:
    """Return the captain of a form, or None when none was chosen."""
    return int(value) if value and value.strip().isdigit() else None


async def builder_context(
    *,
    form: MultiDict[str, str] | None,
    detail: TeamDetail | None,
    error: AppError | None = None,
    game: str | None = None,
) -> dict[str, Any]:
    """Return what the builder shows: the game, drivers by constructor, picks, totals, errors."""
    season = detail.team.season_id if detail else await season_now()
    if detail is not None:
        played = detail.game
    else:
        played = games.get((form.get("game") if form else None) or game or games.DEFAULT_GAME)
    drivers = await list_drivers(season=season)
    # The prices shown are the ones a save is charged: a market game's current ones.
    infos = await service.season_drivers(season=season, game=played)
    with_cars = played.roster.constructors > 0
    cons = await service.season_constructors(season=season, game=played) if with_cars else {}
    field_errors: dict[str, str] = {}
    if form is None:
        picked = [d.id for d in detail.drivers] if detail else []
        cars = [c.id for c in detail.constructors] if detail else []
        captain = detail.captain_id if detail else None
        name = detail.team.name if detail else ""
        problems: list[RuleError] = []
    else:
        name = form.get("name", "")
        captain = parse_captain(form.get("captain_id"))
        try:
            picked = parse_ids(form.getlist("driver_ids"))
        except AppError as bad:
            picked, field_errors["driver_ids"] = [], bad.message
        try:
            cars = parse_ids(form.getlist("constructor_ids"), field="constructor_ids")
        except AppError as bad:
            cars, field_errors["constructor_ids"] = [], bad.message
        problems = rules.roster_problems(
            game=played,
            driver_ids=picked,
            constructor_ids=cars,
            captain_id=captain,
            drivers=infos,
            constructors=cons,
        )
    if error is not None and error.code not in {p.code for p in problems}:
        field_errors[error.field or "_form"] = error.message
    cost = rules.roster_cost(picked, cars, infos, cons)
    budget = played.roster.budget
    market: dict[str, Any] | None = None
    if detail is not None and played.market is not None:
        market = await _market_context(detail=detail, picked=picked, cars=cars, form=form)
        # The bank, not the roster's budget, limits a market team's changes.
        problems = [p for p in problems if p.code != "over_budget"]
    return {
        "market": market,
        "season": season,
        "detail": detail,
        "game": played,
        "games": games.all(),
        "groups": _by_constructor(drivers, infos),
        "constructors": (
            _on_offer(await Constructor.filter(season_id=season), cons) if with_cars else []
        ),
        "driver_prices": {i: info.price for i, info in infos.items()},
        "constructor_prices": {i: info.price for i, info in cons.items()},
        "picked": set(picked),
        "picked_constructors": set(cars),
        "captain_id": captain,
        "name": name,
        "count": len(picked),
        "size": played.roster.drivers,
        "constructor_count": len(cars),
        "constructor_size": played.roster.constructors,
        "per_constructor": played.roster.per_constructor,
        "cost": cost,
        "budget": budget,
        "left": budget - cost,
        "problems": problems,
        "errors": field_errors,
        "action": f"/teams/{detail.team.id}" if detail else "/teams/new",
    }


async def _market_context(
    *,
    detail: TeamDetail,
    picked: list[int],
    cars: list[int],
    form: MultiDict[str, str] | None,
) -> dict[str, Any]:
    """Return the market part of a builder: bank, transfers, the change's cost and chips."""
    now = app_now()
    view = await service.lineup_view(team=detail.team, now=now)
    state = view.market
    assert state is not None  # nosec B101  (the caller checked the game has a market)
    preview = None
    if form is not None:
        preview = await service.preview_lineup(
            team=detail.team, driver_ids=picked, constructor_ids=cars, now=now
        )
    transfers, penalty = view.transfers
    plan = preview.plan if preview else None
    return {
        "race": state.race,
        "bank": state.bank,
        "team_value": view.team_value,
        "free": state.free,
        "transfers": transfers,
        "transfers_left": view.transfers_left,
        "penalty": penalty,
        "unlimited": state.unlimited,
        "no_budget": state.no_budget,
        "chips": chip_states(state),
        # The pick on the form, before it is saved.
        "preview": plan,
        "preview_penalty": plan.penalty_counted if plan else None,
        "preview_error": preview.error.message if preview and preview.error else None,
        "penalty_points": state.market.transfers.penalty_points,
    }


def _on_offer(
    constructors: list[Constructor], priced: Mapping[int, ConstructorInfo]
) -> list[Constructor]:
    """Return the constructors a lineup can buy (priced ones), dearest first at shown prices."""
    offered = [c for c in constructors if c.id in priced]
    return sorted(offered, key=lambda c: (-priced[c.id].price, c.name))


async def render_builder(status: int = 200, **context: Any) -> Response:
    """Render the builder page, or only its lineup status for htmx's checks."""
    # A game switch (htmx GET) takes the whole page and keeps only its main part.
    if wants_fragment() and request.method == "POST":
        return Response(await render_block(TEMPLATE, "lineup_status", **context))
    if context.get("detail") is not None:
        context["team_record"] = await team_record(context["detail"].team)
        context["leagues"] = await _leagues_of(context["detail"].team.id, private=True)
    return Response(await render_template(TEMPLATE, **context), status=status)


@pages.get("/teams")
@hide
async def my_teams() -> str:
    """List the caller's teams."""
    user = await require_user()
    teams = await service.list_my_teams(owner=user)
    limit = current_app.config["SETTINGS"].max_teams_per_season
    titles = {game.name: game.title for game in games.all()}
    return await render_template("teams/mine.html", teams=teams, limit=limit, titles=titles)


@pages.route("/teams/new", methods=["GET", "POST"])
@hide
async def new_team() -> Response:
    """Show the team builder, check a lineup as it is picked, or create the team."""
    user = await require_user()
    if request.method == "GET":
        picked_game = request.args.get("game", games.DEFAULT_GAME)[:40]
        return await render_builder(
            **await builder_context(form=None, detail=None, game=picked_game)
        )
    form = await request.form
    if form.get("check"):
        return await render_builder(**await builder_context(form=form, detail=None))
    try:
        team = await service.create_team(
            owner=user,
            name=form.get("name", ""),
            game=form.get("game", games.DEFAULT_GAME),
            driver_ids=parse_ids(form.getlist("driver_ids")),
            constructor_ids=parse_ids(form.getlist("constructor_ids"), field="constructor_ids"),
            captain_id=parse_captain(form.get("captain_id")),
            now=app_now(),
            max_teams=current_app.config["SETTINGS"].max_teams_per_season,
        )
    except AppError as error:
        context = await builder_context(form=form, detail=None, error=error)
        return await render_builder(422, **context)
    return redirect_to(f"/teams/{team.id}")


@pages.route("/teams/<int:team_id>", methods=["GET", "POST"])
@hide
async def team_page(team_id: int) -> Response:
    """Show a team: the editable builder to its owner, name, points and past lineups to others."""
    team = await service.get_team(team_id=team_id)
    user = await current_user()
    if user is None or user.id != team.owner.id:
        if request.method == "POST":
            await require_user()
            raise AppError.forbidden("This team is not yours")
        html = await render_template("teams/team.html", **await _public(team))
        return anonymous_page(html) if user is None else page_response(html)
    # Only the owner's builder shows the current lineup (and what it is worth today).
    detail = await service.team_detail(team=team)
    if request.method == "GET":
        return await render_builder(**await builder_context(form=None, detail=detail))
    form = await request.form
    if form.get("check"):
        return await render_builder(**await builder_context(form=form, detail=detail))
    try:
        await service.update_team(
            user=user,
            team_id=team_id,
            name=form.get("name", ""),
            driver_ids=parse_ids(form.getlist("driver_ids")),
            constructor_ids=(
                parse_ids(form.getlist("constructor_ids"), field="constructor_ids")
                if detail.game.roster.constructors
                else None
            ),
            captain_id=parse_captain(form.get("captain_id")),
            now=app_now(),
        )
    except AppError as error:
        context = await builder_context(form=form, detail=detail, error=error)
        return await render_builder(422, **context)
    return redirect_to(f"/teams/{team_id}?saved=1")


@pages.post("/teams/<int:team_id>/chips/<string:chip>")
@hide
async def chip_action(team_id: int, chip: str) -> Response:
    """Play or cancel a chip from the builder, then show the builder again."""
    user = await require_user()
    team = await service.owned_team(user=user, team_id=team_id)
    form = await request.form
    action = cancel_chip if form.get("action") == "cancel" else play_chip
    try:
        await action(team=team, game=games.get(team.game), name=chip, now=app_now())
    except AppError as error:
        detail = await service.team_detail(team=team)
        context = await builder_context(form=None, detail=detail, error=error)
        return await render_builder(422, **context)
    return redirect_to(f"/teams/{team_id}#chips")


async def _public(team: Team) -> dict[str, Any]:
    return {
        "team": team,
        "game": games.get(team.game),
        "team_record": await team_record(team),
        "leagues": await _leagues_of(team.id, private=False),
    }


async def team_record(team: Team) -> Markup:
    """Return a team's lineups of locked races, charts and scores, kept per generation."""
    now = app_now()
    season: int = team.season_id
    # A race locking shows its lineup and score: the count of locked races is in the key.
    locked = await locked_race_count(season=season, now=now)

    async def context() -> dict[str, Any]:
        return {"team": team, "history": await locked_lineups(team=team, now=now)}

    return await shared_html(
        PARTS.key("team", team.id, locked),
        [cache.board_generation(season), cache.RACES, cache.DRIVERS],
        "teams/_team_record.html",
        context,
    )


async def _leagues_of(team_id: int, *, private: bool) -> list[League]:
    query = League.filter(members__team_id=team_id)
    # A private league's name is for its members: only the team's owner sees it here.
    return await (query if private else query.filter(is_public=True)).order_by("name")


def _by_constructor(
    drivers: list[Driver], priced: Mapping[int, DriverInfo]
) -> list[tuple[str, list[Driver]]]:
    def team_name(d: Driver) -> str:
        return d.constructor.name if d.constructor else "No constructor"

    def price(d: Driver) -> Decimal:
        return priced[d.id].price if d.id in priced else Decimal(d.price)

    ordered = sorted(drivers, key=lambda d: (team_name(d), -price(d), d.last_name))
    return [(name, list(group)) for name, group in groupby(ordered, key=team_name)]

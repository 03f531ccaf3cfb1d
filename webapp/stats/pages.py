"""Statistics pages: results versions, charts on team and league pages, drivers, constructors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from markupsafe import Markup
from quart import Blueprint, Response, render_template, request
from quart_schema import hide

from webapp import cache, games
from webapp.auth.current import current_user
from webapp.errors import AppError
from webapp.market.prices import market_prices
from webapp.models import Constructor, Driver, League, Team, User
from webapp.pagecache import PARTS, anonymous_page, page_response, shared_html
from webapp.stats import charts
from webapp.stats.charts import ChartView
from webapp.stats.series import (
    FORM_RACES,
    constructor_series,
    driver_series,
    head_to_head,
    league_series,
    ownership,
    team_series,
)
from webapp.stats.versions import Timeline, compare_versions, race_timeline
from webapp.visibility import may_see_league

pages = Blueprint("stats_pages", __name__)


def version_arg(name: str) -> int | None:
    """Return a version number of the query string, None when absent, or fail naming it."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise AppError("validation_error", "A version is a whole number", field=name)
    return int(value)


@pages.app_context_processor
async def _timeline() -> dict[str, Any]:
    # A function, so only the race page, which shows the versions, pays for the query.
    async def result_timeline(race_id: int) -> Timeline:
        return await race_timeline(race_id=race_id)

    return {"result_timeline": result_timeline}


@pages.app_context_processor
async def _charts() -> dict[str, Any]:
    # Functions: only the team and league pages, which include the charts, pay for them.
    async def team_charts(team: Team) -> list[ChartView]:
        data = await team_series(team_id=team.id)
        made = [
            charts.points_chart(ident=f"team-{team.id}-points", name=team.name, data=data),
            charts.rank_chart(ident=f"team-{team.id}-rank", name=team.name, data=data),
        ]
        return [chart for chart in made if chart is not None]

    async def league_chart(league: League, mine: set[int]) -> ChartView | None:
        data = await league_series(league_id=league.id)
        shown = {t["team_id"] for t in data["teams"]}
        if mine - shown:
            # The reader's teams are drawn even when they are not among the leaders.
            extra = await league_series(league_id=league.id, team_ids=sorted(mine - shown))
            data = {**data, "teams": data["teams"] + extra["teams"]}
        return charts.league_chart(
            ident=f"league-{league.id}", name=league.name, data=data, mine=mine
        )

    async def league_charts(league: League, user: User | None) -> Markup:
        mine: set[int] = set()
        if user is not None:
            teams = Team.filter(owner_id=user.id, memberships__league_id=league.id)
            mine = {team.id for team in await teams.only("id")}
        template = "stats/_league_charts.html"
        if mine:
            chart = await league_chart(league, mine)
            # Rendered by our templates, every value escaped by Jinja: safe as it stands.
            return Markup(await render_template(template, league=league, chart=chart))  # noqa: S704  # nosec B704

        async def context() -> dict[str, Any]:
            return {"league": league, "chart": await league_chart(league, set())}

        # Drawn once per generation for everyone with no team of their own in it.
        season: int = league.season_id
        return await shared_html(
            PARTS.key("league", league.id),
            [cache.board_generation(season), cache.league_generation(league.id)],
            template,
            context,
        )

    return {"team_charts": team_charts, "league_charts": league_charts}


@pages.get("/races/<int:race_id>/versions")
@hide
async def versions(race_id: int) -> Response:
    """Show every version of a race's results and what changed between two of them."""
    user = await current_user()
    timeline = await race_timeline(race_id=race_id)
    diff = await compare_versions(
        race_id=race_id,
        old=version_arg("from"),
        new=version_arg("to"),
        user_id=user.id if user else None,
        timeline=timeline,
    )
    race = timeline.race
    season: int = race.season_id

    async def context() -> dict[str, Any]:
        return {"race": race, "timeline": timeline, "diff": diff}

    # What the versions and the compared pair are is in the key; the rows of a version never
    # change, and a rescoring (a new version, a replay started over) moves the board.
    pair = (diff.old, diff.new) if diff is not None else (0, 0)
    shared = await shared_html(
        PARTS.key(
            "versions", race.id, race.status, race.results_version, len(timeline.entries), *pair
        ),
        [cache.board_generation(season), cache.RACES],
        "stats/_versions_shared.html",
        context,
    )
    html = await render_template(
        "stats/versions.html",
        race=race,
        timeline=timeline,
        diff=diff,
        user=user,
        versions_shared=shared,
    )
    return anonymous_page(html) if user is None else page_response(html)


async def _my_leagues(user: User | None, season: int, game: str) -> list[int]:
    if user is None:
        return []
    leagues = League.filter(season_id=season, game=game, members__team__owner_id=user.id)
    return sorted({league.id for league in await leagues.only("id")})


async def _ownership_by_game(
    user: User | None,
    season: int,
    *,
    driver_id: int | None = None,
    constructor_id: int | None = None,
) -> list[dict[str, Any]]:
    """Return the asset's ownership in each game, with what holding it means there."""
    owned = []
    for game in games.all():
        counts = await ownership(
            season=season,
            driver_id=driver_id,
            constructor_id=constructor_id,
            game=game.name,
            league_ids=await _my_leagues(user, season, game.name),
        )
        if driver_id is not None:
            what = "field this driver"
        elif game.roster.constructors:
            what = "picked this constructor"
        else:
            what = "field at least one of its drivers"
        owned.append({**counts, "game": game, "what": what})
    return owned


async def _asset_charts(
    kind: str,
    ident: int,
    *,
    name: str,
    season: int,
    series: Callable[[], Awaitable[dict[str, Any]]],
) -> Markup:
    """Return a driver's or constructor's charts, drawn once per generation of their data."""

    async def context() -> dict[str, Any]:
        # Read again under the stamp being filled: a bump since the page's read shows.
        data = await series()
        return {"data": data, "charts": _asset_views(f"{kind}-{ident}", name, data)}

    # The generations of `data` (webapp.stats.series): a rescoring, a price, a rename.
    return await shared_html(
        PARTS.key(kind, ident),
        [cache.board_generation(season), cache.DRIVERS],
        "stats/_asset_charts.html",
        context,
    )


def _asset_views(ident: str, name: str, data: dict[str, Any]) -> dict[str, ChartView | None]:
    last = {key: data[key][-FORM_RACES:] for key in ("labels", "points", "races")}
    return {
        "points": charts.points_chart(ident=f"{ident}-points", name=name, data=data),
        "form": charts.points_chart(ident=f"{ident}-form", name=f"{name}, last races", data=last)
        # Up to FORM_RACES races, the form is the whole season, already drawn above.
        if len(data["points"]) > FORM_RACES
        else None,
        "price": charts.price_chart(ident=f"{ident}-price", name=name, data=data),
    }


@pages.get("/drivers/<int:driver_id>")
@hide
async def driver_page(driver_id: int) -> Response:
    """Show a driver: points per race, form, price and who holds them."""
    driver = await Driver.get_or_none(id=driver_id).select_related("constructor")
    if driver is None:
        raise AppError.not_found("No such driver")
    user = await current_user()
    season: int = driver.season_id
    data = await driver_series(driver_id=driver.id)
    markets = await market_prices(season_id=season)
    name = f"{driver.first_name} {driver.last_name}"
    team = driver.constructor
    html = await render_template(
        "stats/asset.html",
        name=name,
        subtitle=" · ".join(
            part
            for part in (
                driver.code,
                f"#{driver.number}" if driver.number else "",
                f"drives for {team.name}" if team else "",
                f"season {season}",
            )
            if part
        ),
        price=driver.price,
        market_prices=[(m.title, m.driver(driver.id)) for m in markets],
        markets=markets,
        data=data,
        asset_charts=await _asset_charts(
            "driver",
            driver.id,
            name=name,
            season=season,
            series=lambda: driver_series(driver_id=driver.id),
        ),
        owned=await _ownership_by_game(user, season, driver_id=driver.id),
        drivers=[],
        constructor=team,
    )
    return anonymous_page(html) if user is None else page_response(html)


@pages.get("/constructors/<int:constructor_id>")
@hide
async def constructor_page(constructor_id: int) -> Response:
    """Show a constructor: its drivers' points per race, form, price and who holds it."""
    team = await Constructor.get_or_none(id=constructor_id)
    if team is None:
        raise AppError.not_found("No such constructor")
    user = await current_user()
    season: int = team.season_id
    data = await constructor_series(constructor_id=team.id)
    markets = await market_prices(season_id=season)
    html = await render_template(
        "stats/asset.html",
        name=team.name,
        subtitle=f"Constructor · season {season}",
        price=team.price,
        market_prices=[(m.title, m.constructor(team.id)) for m in markets],
        markets=markets,
        data=data,
        asset_charts=await _asset_charts(
            "constructor",
            team.id,
            name=team.name,
            season=season,
            series=lambda: constructor_series(constructor_id=team.id),
        ),
        owned=await _ownership_by_game(user, season, constructor_id=team.id),
        drivers=await Driver.filter(constructor_id=team.id).order_by("last_name"),
    )
    return anonymous_page(html) if user is None else page_response(html)


def team_arg(name: str) -> int | None:
    """Return a team id of the query string, None when absent, or fail naming it."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise AppError("validation_error", "Pick a team of this league", field=name)
    return int(value)


@pages.get("/leagues/<int:league_id>/duel")
@hide
async def duel(league_id: int) -> Response:
    """Compare two teams of a league race by race (`a` and `b`; my team and the leader first)."""
    league = await League.get_or_none(id=league_id)
    user = await current_user()
    if league is None or not await may_see_league(league=league, user_id=user.id if user else None):
        raise AppError.not_found("No such league")
    members = await Team.filter(memberships__league_id=league.id).order_by("-points", "id")
    mine = [t.id for t in members if user is not None and t.owner_id == user.id]
    a, b = team_arg("a"), team_arg("b")
    if a is None:
        a = mine[0] if mine else (members[0].id if members else None)
    if b is None:
        b = next((t.id for t in members if t.id != a), None)
    context: dict[str, Any] = {"league": league, "members": members, "a": a, "b": b}
    context["errors"], context["chart"] = {}, None
    status = 200
    if a is not None and b is not None:
        try:
            data = await head_to_head(league_id=league.id, team_a=a, team_b=b)
            if data["labels"]:
                context["chart"] = charts.duel_chart(ident=f"duel-{league.id}", duel=data)
        except AppError as error:
            context["errors"] = {error.field or "a": error.message}
            status = 422
    return Response(await render_template("stats/duel.html", **context), status=status)

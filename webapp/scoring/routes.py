"""Scores API, the race pages (calendar, results and race table) and the breakdown partial."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from pydantic import Field
from quart import Blueprint, render_template, request
from quart_schema import validate_querystring, validate_response

from webapp.auth.current import current_user
from webapp.catalogue.queries import get_race, list_races
from webapp.errors import AppError
from webapp.fragments import render_block
from webapp.games import registry
from webapp.games.rescoring import per_session
from webapp.leaderboards.bodies import Wanted, read_body
from webapp.leaderboards.pages import HtmlBoard, page_args, race_topic
from webapp.models import RaceResult, Team
from webapp.pagecache import wants_fragment
from webapp.running import configured_season, season_now
from webapp.schemas import ApiModel, Page
from webapp.scoring.queries import (
    driver_points,
    owner_race_breakdowns,
    team_scores,
    weekend_scores,
)

api = Blueprint("scoring_api", __name__)
pages = Blueprint("scoring_pages", __name__)


class BreakdownOut(ApiModel):
    driver_id: int
    captain: bool
    position_points: int
    bonus_points: int
    multiplier: int
    points: int


class RaceScoreOut(ApiModel):
    race_id: int
    points: int
    lineup: list[BreakdownOut]


class AssetScoreOut(ApiModel):
    kind: str
    driver_id: int | None
    constructor_id: int | None
    captain: bool
    qualifying_points: int
    sprint_points: int
    race_points: int
    bonus_points: int
    captain_points: int
    points: int


class WeekendScoreOut(ApiModel):
    race_id: int
    points: int
    game: str
    assets: list[AssetScoreOut]
    penalty_points: int = Field(default=0, description="Transfers past the free ones (market)")
    chip: str | None = Field(default=None, description="The chip played for the race")


class TeamScoresOut(ApiModel):
    total: int
    # A classic team's items are race scores, a per-session game's are weekend scores.
    items: list[RaceScoreOut | WeekendScoreOut]


@api.get("/teams/<int:team_id>/scores")
@validate_querystring(Page)
@validate_response(TeamScoresOut)
async def scores(team_id: int, query_args: Page) -> TeamScoresOut:
    """List a team's points per locked race with each asset's share (public)."""
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise AppError.not_found("No such team")
    items: list[RaceScoreOut | WeekendScoreOut]
    if per_session(registry.get(team.game)):
        weekends = await weekend_scores(
            team_id=team_id, system=team.game, game=registry.get(team.game).as_dict()
        )
        items = [
            WeekendScoreOut(
                race_id=row.race.id,
                points=row.points,
                game=team.game,
                assets=[AssetScoreOut(**line.as_dict()) for line in row.assets],
                penalty_points=row.penalty_points,
                chip=row.chip,
            )
            for row in query_args.window(weekends)
        ]
        return TeamScoresOut(total=len(weekends), items=items)
    rows = await team_scores(team_id=team_id, system=team.game)
    items = [
        RaceScoreOut(
            race_id=row.race.id,
            points=row.points,
            lineup=[BreakdownOut(**entry.as_dict()) for entry in row.entries],
        )
        for row in query_args.window(rows)
    ]
    return TeamScoresOut(total=len(rows), items=items)


async def _weekend_breakdowns(*, team: Team) -> list[Any] | None:
    """Return a per-session game's weekend scores of `team`, or None for a classic team."""
    if not per_session(registry.get(team.game)):
        return None
    return await weekend_scores(
        team_id=team.id, system=team.game, game=registry.get(team.game).as_dict()
    )


@pages.app_context_processor
async def _breakdowns() -> dict[str, Any]:
    # Functions, so only pages that include scoring/_breakdown.html pay for the query.
    return {"team_scores": team_scores, "weekend_breakdowns": _weekend_breakdowns}


class SeasonArgs(ApiModel):
    season: int | None = None


@pages.get("/races")
@validate_querystring(SeasonArgs)
async def races(query_args: SeasonArgs) -> str:
    """Show a season's calendar with each race's status."""
    season = query_args.season or await season_now()
    return await render_template(
        "scoring/races.html", season=season, races=await list_races(season=season)
    )


@pages.get("/races/<int:race_id>")
async def race(race_id: int) -> str:
    """Show a race: its counting results and one game's table of the teams' points for it."""
    game = registry.get(request.args.get("game", registry.DEFAULT_GAME)[:40])
    found = await get_race(race_id=race_id)
    results = (
        await RaceResult.filter(race_id=race_id, version=found.results_version)
        .select_related("driver", "constructor")
        .order_by("position_order")
    )
    # A game scored per session has no single figure per driver: its points are per team.
    session_rules = game.as_dict() if per_session(game) else None
    fantasy = None if session_rules else await driver_points(race=found, system=game.name)
    offset, limit = page_args(request.args)
    user = await current_user()
    topic = race_topic(race_id, game.name)
    # Live rows are the first page; other pages stay as read.
    body_id = "lb-body-" + topic.replace(":", "-") if offset == 0 else "lb-body-page"
    fmt = HtmlBoard(path=f"/races/{race_id}", target="race-board", body_id=body_id)
    board_html = None
    try:
        board = await read_body(
            fmt,
            Wanted(race_id=race_id, offset=offset, limit=limit, game=game.name),
            user_id=user.id if user else None,
            configured_season=configured_season(),
        )
        # Rendered by our templates, every value escaped by Jinja: safe as it stands.
        board_html = Markup(board.data.decode())  # noqa: S704  # nosec B704
    except AppError:
        pass
    context = {
        "race": found,
        "results": results,
        "fantasy": fantasy,
        "game": game,
        "games": registry.all(),
        "board_html": board_html,
        "live_topics": [topic] if board_html and offset == 0 else [],
    }
    if wants_fragment() and board_html:
        return await render_block("scoring/race.html", "board", **context)
    context["mine"] = (
        await owner_race_breakdowns(
            race=found, owner_id=user.id, system=game.name, game=session_rules
        )
        if user
        else []
    )
    return await render_template("scoring/race.html", **context)

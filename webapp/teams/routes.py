"""Teams JSON API: create, edit, read, list mine."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ConfigDict, Field
from quart import Blueprint, current_app
from quart_schema import validate_querystring, validate_request, validate_response

from webapp import games
from webapp.auth.current import current_user, require_user
from webapp.catalogue.routes import ConstructorRef, constructor_ref
from webapp.clock import app_now
from webapp.games import DEFAULT_GAME
from webapp.market.chips import cancel_chip, chip_states, play_chip
from webapp.models import Constructor, Driver
from webapp.schemas import ApiModel, Number, OwnerRef, Page
from webapp.teams import service
from webapp.teams.service import TeamDetail

api = Blueprint("teams_api", __name__)

# Sanity bound only: the lineup rules give the real error for a wrong count.
MAX_IDS = 50


class TeamIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    driver_ids: list[int] = Field(max_length=MAX_IDS)
    captain_id: int
    game: str = Field(
        default=DEFAULT_GAME, max_length=40, description="A game of GET /games; classic if absent"
    )
    constructor_ids: list[int] = Field(
        default_factory=list, max_length=MAX_IDS, description="Games with constructors only"
    )


class TeamPatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    driver_ids: list[int] | None = Field(default=None, max_length=MAX_IDS)
    captain_id: int | None = None
    constructor_ids: list[int] | None = Field(default=None, max_length=MAX_IDS)


class TeamDriverOut(ApiModel):
    id: int
    ref: str
    code: str
    first_name: str
    last_name: str
    constructor: ConstructorRef | None
    price: Number


class TeamConstructorOut(ApiModel):
    id: int
    ref: str
    name: str
    price: Number | None


def _absent(value: object) -> bool:
    return value is None


# Others get no lineup keys at all, not empty ones: nothing to copy before a deadline.
OwnerOnly = Field(default=None, exclude_if=_absent, description="Owner only; absent for others")


class TeamOut(ApiModel):
    id: int
    name: str
    season: int
    game: str
    owner: OwnerRef
    points: int
    drivers: list[TeamDriverOut] | None = OwnerOnly
    constructors: list[TeamConstructorOut] | None = OwnerOnly
    captain_id: int | None = OwnerOnly
    budget_used: Number | None = OwnerOnly
    budget_left: Number | None = OwnerOnly


class LineupIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    driver_ids: list[int] | None = Field(default=None, max_length=MAX_IDS)
    captain_id: int | None = None
    constructor_ids: list[int] | None = Field(default=None, max_length=MAX_IDS)


class TeamChipOut(ApiModel):
    name: str
    title: str
    description: str
    state: str = Field(description="available, played (for the next race), used, not_available")
    race_id: int | None
    reason: str


class TeamMarketOut(ApiModel):
    race_id: int | None = Field(description="The race a change or chip counts for now")
    bank: Number
    team_value: Number
    free_transfers: int | None = Field(description="The next race's free transfers; null: all")
    transfers: int
    transfers_left: int | None
    penalty_points: int = Field(description="What the lineup's transfers cost the next race")
    chip: str | None
    chips: list[TeamChipOut]


class LineupOut(ApiModel):
    team_id: int
    game: str
    drivers: list[TeamDriverOut]
    constructors: list[TeamConstructorOut]
    captain_id: int | None
    budget_used: Number
    budget_left: Number
    market: TeamMarketOut | None = Field(description="Games with a market only; null otherwise")


class TeamList(ApiModel):
    items: list[TeamOut]
    total: int


def team_driver_out(driver: Driver, price: Decimal | None = None) -> TeamDriverOut:
    """Shape a lineup driver (constructor loaded) for the API, at `price` if given."""
    return TeamDriverOut(
        id=driver.id,
        ref=driver.ref,
        code=driver.code,
        first_name=driver.first_name,
        last_name=driver.last_name,
        constructor=constructor_ref(driver.constructor),
        price=price if price is not None else Decimal(driver.price),
    )


def team_constructor_out(
    constructor: Constructor, price: Decimal | None = None
) -> TeamConstructorOut:
    """Shape a lineup constructor for the API, at `price` if given."""
    if price is None and constructor.price is not None:
        price = Decimal(constructor.price)
    return TeamConstructorOut(
        id=constructor.id, ref=constructor.ref, name=constructor.name, price=price
    )


def lineup_driver(detail: TeamDetail, driver: Driver) -> TeamDriverOut:
    """Shape a lineup driver at its price today in the team's game."""
    return team_driver_out(driver, detail.price_of("drivers", driver))


def lineup_constructor(detail: TeamDetail, constructor: Constructor) -> TeamConstructorOut:
    """Shape a lineup constructor at its price today in the team's game."""
    return team_constructor_out(constructor, detail.price_of("constructors", constructor))


def team_out(detail: TeamDetail, *, viewer_id: int | None) -> TeamOut:
    """Shape a team; its lineup and budget only for its owner."""
    team = detail.team
    mine = viewer_id == team.owner.id
    return TeamOut(
        id=team.id,
        name=team.name,
        season=team.season_id,
        game=team.game,
        owner=OwnerRef(id=team.owner.id, username=team.owner.username),
        points=team.points,
        drivers=[lineup_driver(detail, d) for d in detail.drivers] if mine else None,
        constructors=[lineup_constructor(detail, c) for c in detail.constructors] if mine else None,
        captain_id=detail.captain_id if mine else None,
        budget_used=detail.budget_used if mine else None,
        budget_left=detail.budget_left if mine else None,
    )


@api.post("/teams")
@validate_request(TeamIn)
@validate_response(TeamOut, 201)
async def create(data: TeamIn) -> tuple[TeamOut, int]:
    """Create a team of the current season for a game (classic if none) with its first lineup."""
    user = await require_user()
    team = await service.create_team(
        owner=user,
        name=data.name,
        driver_ids=data.driver_ids,
        captain_id=data.captain_id,
        constructor_ids=data.constructor_ids,
        game=data.game,
        now=app_now(),
        max_teams=current_app.config["SETTINGS"].max_teams_per_season,
    )
    return team_out(await service.team_detail(team=team), viewer_id=user.id), 201


@api.get("/teams/<int:team_id>")
@validate_response(TeamOut)
async def read(team_id: int) -> TeamOut:
    """Return a team; its current lineup only to its owner (public)."""
    user = await current_user()
    detail = await service.get_team_detail(team_id=team_id)
    return team_out(detail, viewer_id=user.id if user else None)


@api.put("/teams/<int:team_id>")
@validate_request(TeamPatch)
@validate_response(TeamOut)
async def update(team_id: int, data: TeamPatch) -> TeamOut:
    """Rename a team or save a new lineup (owner only); a save after a lock counts next race."""
    user = await require_user()
    team = await service.update_team(
        user=user,
        team_id=team_id,
        name=data.name,
        driver_ids=data.driver_ids,
        captain_id=data.captain_id,
        constructor_ids=data.constructor_ids,
        now=app_now(),
    )
    return team_out(await service.team_detail(team=team), viewer_id=user.id)


def lineup_out(view: service.LineupView) -> LineupOut:
    """Shape a team's current lineup and market for its owner."""
    detail, state = view.detail, view.market
    market = None
    if state is not None:
        transfers, penalty = view.transfers
        active = state.active
        market = TeamMarketOut(
            race_id=state.race.id if state.race else None,
            bank=state.bank,
            team_value=view.team_value,
            free_transfers=state.free,
            transfers=transfers,
            transfers_left=view.transfers_left,
            penalty_points=penalty,
            chip=active[0].name if active else None,
            chips=[
                TeamChipOut(
                    name=c.chip.name,
                    title=c.chip.title,
                    description=c.chip.description,
                    state=c.state,
                    race_id=c.race_id,
                    reason=c.reason,
                )
                for c in chip_states(state)
            ],
        )
    return LineupOut(
        team_id=detail.team.id,
        game=detail.team.game,
        drivers=[lineup_driver(detail, d) for d in detail.drivers],
        constructors=[lineup_constructor(detail, c) for c in detail.constructors],
        captain_id=detail.captain_id,
        budget_used=detail.budget_used,
        budget_left=detail.budget_left,
        market=market,
    )


@api.get("/teams/<int:team_id>/lineup")
@validate_response(LineupOut)
async def read_lineup(team_id: int) -> LineupOut:
    """Return a team's current lineup with its bank, transfers, penalty and chips (owner only)."""
    user = await require_user()
    team = await service.owned_team(user=user, team_id=team_id)
    return lineup_out(await service.lineup_view(team=team, now=app_now()))


@api.put("/teams/<int:team_id>/lineup")
@validate_request(LineupIn)
@validate_response(LineupOut)
async def save_lineup(team_id: int, data: LineupIn) -> LineupOut:
    """Save a new lineup (owner only); fields left out keep their value; transfers counted."""
    user = await require_user()
    now = app_now()
    team = await service.update_team(
        user=user,
        team_id=team_id,
        driver_ids=data.driver_ids,
        captain_id=data.captain_id,
        constructor_ids=data.constructor_ids,
        now=now,
    )
    return lineup_out(await service.lineup_view(team=team, now=now))


@api.post("/teams/<int:team_id>/chips/<string:chip>")
@validate_response(LineupOut)
async def play(team_id: int, chip: str) -> LineupOut:
    """Play a chip for the team's next race (owner only); the lineup with its chips."""
    user = await require_user()
    team = await service.owned_team(user=user, team_id=team_id)
    now = app_now()
    await play_chip(team=team, game=games.get(team.game), name=chip, now=now)
    return lineup_out(await service.lineup_view(team=team, now=now))


@api.delete("/teams/<int:team_id>/chips/<string:chip>")
@validate_response(LineupOut)
async def cancel(team_id: int, chip: str) -> LineupOut:
    """Cancel a chip played for the next race, until its lock (owner only)."""
    user = await require_user()
    team = await service.owned_team(user=user, team_id=team_id)
    now = app_now()
    await cancel_chip(team=team, game=games.get(team.game), name=chip, now=now)
    return lineup_out(await service.lineup_view(team=team, now=now))


@api.get("/users/me/teams")
@validate_querystring(Page)
@validate_response(TeamList)
async def mine(query_args: Page) -> TeamList:
    """List the caller's teams of the current season."""
    user = await require_user()
    teams = await service.list_my_teams(owner=user)
    items = [
        team_out(await service.team_detail(team=t), viewer_id=user.id)
        for t in query_args.window(teams)
    ]
    return TeamList(items=items, total=len(teams))

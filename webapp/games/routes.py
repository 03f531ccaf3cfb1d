"""The games endpoint: every game Paddock plays, with its rules as JSON."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from webapp import games
from webapp.schemas import ApiModel, Number, Page

api = Blueprint("games_api", __name__)


class RosterOut(ApiModel):
    drivers: int
    constructors: int
    budget: Number
    per_constructor: int
    captain: bool


class QualifyingOut(ApiModel):
    position_points: list[int]
    no_time: int
    disqualified: int


class SessionOut(ApiModel):
    position_points: list[int]
    per_position_gained: int
    fastest_lap: int
    fastest_lap_rank: int
    driver_of_the_day: int
    not_classified: int
    disqualified: int
    not_classified_texts: list[str]
    disqualified_texts: list[str]
    non_starter_texts: list[str]


class QualifyingBonusOut(ApiModel):
    both_q3: int
    one_q3: int
    both_q2: int
    one_q2: int
    neither_leaves_q1: int


class ConstructorScoringOut(ApiModel):
    qualifying_bonus: QualifyingBonusOut
    includes_driver_of_the_day: bool


class ScoringOut(ApiModel):
    race: SessionOut
    qualifying: QualifyingOut | None
    sprint: SessionOut | None
    constructor: ConstructorScoringOut | None
    captain_multiplier: int


class TransfersOut(ApiModel):
    free_per_race: int
    max_carry_over: int
    penalty_points: int


class ChipOut(ApiModel):
    name: str
    title: str
    description: str
    captain_multiplier: int | None
    unlimited_transfers: bool
    no_budget: bool
    reverts_after_race: bool
    no_negative: bool
    auto_captain: bool
    after_first_scored_race: bool


class PriceBandOut(ApiModel):
    above: Number | None
    inclusive: bool
    dear_move: Number
    cheap_move: Number


class PricesOut(ApiModel):
    form_races: int
    dear_from: Number
    bands: list[PriceBandOut]
    floor: Number


class MarketOut(ApiModel):
    bank: Number
    transfers: TransfersOut
    chips: list[ChipOut]
    prices: PricesOut
    chips_per_race: int
    chip_uses_per_season: int


class GameOut(ApiModel):
    name: str
    title: str
    summary: str
    roster: RosterOut
    scoring: ScoringOut
    not_scored: list[str]
    # None: lineups change freely before each lock and prices never move.
    market: MarketOut | None


class GameList(ApiModel):
    items: list[GameOut]
    total: int


@api.get("/games")
@validate_querystring(Page)
@validate_response(GameList)
async def list_games(query_args: Page) -> GameList:
    """List the games a team or league can be created for, with their rules (public)."""
    rows = [GameOut.model_validate(game.as_dict()) for game in games.all()]
    return GameList(items=query_args.window(rows), total=len(rows))

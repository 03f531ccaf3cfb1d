"""Create, edit and read teams; every save of a lineup is kept as history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from webapp import cache, gameclock, games
from webapp.catalogue.queries import current_season
from webapp.errors import AppError
from webapp.games.roster import ConstructorInfo
from webapp.leaderboards.refresh import add_team_to_boards
from webapp.market.bank import cost
from webapp.market.prices import AssetPrices, current_prices
from webapp.market.transfers import MarketState, Plan, is_locked, market_state, plan_save
from webapp.models import (
    Constructor,
    Driver,
    Lineup,
    LineupConstructor,
    LineupDriver,
    Race,
    Team,
    TeamChip,
    User,
)
from webapp.settings import MAX_TEAMS_PER_SEASON
from webapp.teams import rules
from webapp.teams.rules import DriverInfo


@dataclass
class TeamDetail:
    """A team with its current lineup, dearest driver (and constructor) first."""

    team: Team
    drivers: list[Driver]
    captain_id: int | None
    budget_used: Decimal
    constructors: list[Constructor] = field(default_factory=list)
    # Each lineup asset's price today in the team's game, by kind ("drivers", "constructors").
    prices: dict[str, dict[int, Decimal]] = field(default_factory=dict)

    def price_of(self, kind: str, asset: Driver | Constructor) -> Decimal | None:
        """Return an asset's price today in the team's game (its starting one if none)."""
        known = self.prices.get(kind, {})
        if asset.id in known:
            return known[asset.id]
        return Decimal(asset.price) if asset.price is not None else None

    @property
    def game(self) -> games.Game:
        """Return the game the team plays."""
        return games.get(self.team.game)

    @property
    def budget_left(self) -> Decimal:
        """Return what is left of the game's budget at today's prices."""
        return self.game.roster.budget - self.budget_used


async def game_prices(*, game: games.Game | None, season: int) -> AssetPrices | None:
    """Return the current prices of a game with a market; None: the starting prices hold."""
    if game is None or game.market is None:
        return None
    return await current_prices(game=game.name, season_id=season)


async def season_drivers(*, season: int, game: games.Game | None = None) -> dict[int, DriverInfo]:
    """Return the rules' view of every driver of a season at `game`'s current prices, by id."""
    rows = await Driver.filter(season_id=season).select_related("constructor")
    # A market game buys at its moved prices: what the bank charges is what the rules see.
    moved = await game_prices(game=game, season=season)
    return {
        d.id: DriverInfo(
            id=d.id,
            name=f"{d.first_name} {d.last_name}",
            constructor_id=d.constructor.id if d.constructor else None,
            constructor_name=d.constructor.name if d.constructor else "",
            price=moved.drivers.get(d.id, Decimal(d.price)) if moved else Decimal(d.price),
        )
        for d in rows
    }


async def season_constructors(
    *, season: int, game: games.Game | None = None
) -> dict[int, ConstructorInfo]:
    """Return the rules' view of every priced constructor at `game`'s current prices, by id."""
    # An unpriced constructor cannot be bought: the rules see it as not on offer.
    rows = await Constructor.filter(season_id=season)
    moved = await game_prices(game=game, season=season)
    return {
        c.id: ConstructorInfo(
            id=c.id,
            name=c.name,
            price=moved.constructors.get(c.id, Decimal(c.price)) if moved else Decimal(c.price),
        )
        for c in rows
        if c.price is not None
    }


async def check_pick(
    *,
    game: games.Game,
    season: int,
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int],
    captain_id: int | None,
    bank_checked: bool = False,
) -> tuple[dict[int, DriverInfo], dict[int, ConstructorInfo]]:
    """Raise the first roster rule of `game` the pick breaks; return the season's assets.

    With `bank_checked` the market's bank limits the pick instead of the roster's budget.
    """
    drivers = await season_drivers(season=season, game=game)
    constructors = (
        await season_constructors(season=season, game=game) if game.roster.constructors else {}
    )
    problems = rules.roster_problems(
        game=game,
        driver_ids=driver_ids,
        constructor_ids=constructor_ids,
        captain_id=captain_id,
        drivers=drivers,
        constructors=constructors,
    )
    if bank_checked:
        problems = [p for p in problems if p.code != "over_budget"]
    if problems:
        raise problems[0].to_app_error()
    return drivers, constructors


async def create_team(
    *,
    owner: User,
    name: str,
    driver_ids: Sequence[int],
    captain_id: int | None,
    constructor_ids: Sequence[int] = (),
    game: str = games.DEFAULT_GAME,
    season: int | None = None,
    now: datetime | None = None,
    max_teams: int = MAX_TEAMS_PER_SEASON,
) -> Team:
    """Create a team of the season for a game with its first lineup, or raise a broken rule."""
    played = games.get(game)
    name = rules.clean_name(name)
    season = season or await current_season(configured=None)
    async with in_transaction():
        # One owner's team changes queue up here, so the limit and names hold under races.
        await User.select_for_update(no_key=True).get(id=owner.id)
        owned = await Team.filter(owner_id=owner.id, season_id=season).count()
        if owned >= max_teams:
            raise AppError(
                "team_limit_reached",
                f"You already have {owned} teams this season; the limit is {max_teams}",
            )
        await _check_name_free(owner_id=owner.id, season=season, name=name)
        drivers, constructors = await check_pick(
            game=played,
            season=season,
            driver_ids=driver_ids,
            constructor_ids=constructor_ids,
            captain_id=captain_id,
            bank_checked=played.market is not None,
        )
        saved_at = now or gameclock.now()
        team = await Team.create(
            owner_id=owner.id, season_id=season, name=name, game=played.name, created_at=saved_at
        )
        plan = None
        if played.market is not None:
            state = await market_state(team=team, game=played, now=saved_at)
            plan = plan_save(state, driver_ids=driver_ids, constructor_ids=constructor_ids)
        await _save_lineup(
            team=team,
            driver_ids=driver_ids,
            constructor_ids=constructor_ids,
            captain_id=captain_id,
            drivers=drivers,
            constructors=constructors,
            saved_at=saved_at,
            plan=plan,
        )
    # Everyone's leaderboard shows the new team (at 0 points) from now on.
    await add_team_to_boards(team_id=team.id)
    team.owner = owner
    return team


async def update_team(
    *,
    user: User,
    team_id: int,
    name: str | None = None,
    driver_ids: Sequence[int] | None = None,
    captain_id: int | None = None,
    constructor_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Team:
    """Rename a team and/or save a new lineup; fields left out keep their current value."""
    if name is not None:
        name = rules.clean_name(name)
    team = await _owned_team(user=user, team_id=team_id)
    renamed = False
    async with in_transaction():
        await User.select_for_update(no_key=True).get(id=user.id)
        # Read the lineup only once the lock is held: a partial edit merges with the
        # latest saved lineup, never with one another edit is replacing.
        team = await Team.select_for_update(no_key=True).get(id=team.id)
        if name is not None and name != team.name:
            await _check_name_free(
                owner_id=user.id, season=_season_id(team), name=name, except_team=team.id
            )
            team.name = name
            await team.save(update_fields=["name", "updated_at"])
            renamed = True
        if driver_ids is not None or captain_id is not None or constructor_ids is not None:
            saved_at = now or gameclock.now()
            played = games.get(team.game)
            current = await current_lineup(team=team, now=saved_at)
            current_ids = [e.driver_id for e in current.drivers] if current else []
            current_cons = [e.constructor_id for e in current.constructors] if current else []
            picked = list(driver_ids) if driver_ids is not None else current_ids
            cars = list(constructor_ids) if constructor_ids is not None else current_cons
            captain = captain_id
            if captain is None and current is not None:
                captain = current.captain_id
            state = None
            if played.market is not None:
                state = await market_state(team=team, game=played, now=saved_at)
            drivers, constructors = await check_pick(
                game=played,
                season=_season_id(team),
                driver_ids=picked,
                constructor_ids=cars,
                captain_id=captain,
                # A market team buys and sells at the game's prices, through its bank.
                bank_checked=state is not None,
            )
            plan = None
            if state is not None:
                plan = plan_save(state, driver_ids=picked, constructor_ids=cars)
            await _save_lineup(
                team=team,
                driver_ids=picked,
                constructor_ids=cars,
                captain_id=captain,
                drivers=drivers,
                constructors=constructors,
                saved_at=saved_at,
                plan=plan,
            )
    if renamed:
        # Boards show team names: their ready pages move to a new stamp.
        await cache.bump(cache.board_generation(_season_id(team)))
    team.owner = user
    return team


async def get_team(*, team_id: int) -> Team:
    """Return a team with its owner, or fail with `not_found`."""
    team = await Team.get_or_none(id=team_id).select_related("owner")
    if team is None:
        raise AppError.not_found("No such team")
    return team


async def get_team_detail(*, team_id: int) -> TeamDetail:
    """Return a team with its current lineup at today's prices."""
    return await team_detail(team=await get_team(team_id=team_id))


async def team_detail(*, team: Team) -> TeamDetail:
    """Return the current lineup of a loaded team."""
    lineup = await current_lineup(team=team)
    if lineup is None:
        return TeamDetail(team=team, drivers=[], captain_id=None, budget_used=Decimal("0.0"))
    ids = [e.driver_id for e in lineup.drivers]
    # A market game's lineup is worth its current prices, the ones its bank buys and sells at.
    moved = await game_prices(game=games.get(team.game), season=team.season_id)
    drivers = await Driver.filter(id__in=ids).select_related("constructor")
    driver_prices = {
        d.id: moved.drivers.get(d.id, Decimal(d.price)) if moved else Decimal(d.price)
        for d in drivers
    }
    drivers = sorted(drivers, key=lambda d: (-driver_prices[d.id], d.id))
    used = sum(driver_prices.values(), Decimal("0.0"))
    cars: list[Constructor] = []
    car_prices: dict[int, Decimal] = {}
    if lineup.constructors:
        cars = list(
            await Constructor.filter(id__in=[e.constructor_id for e in lineup.constructors])
        )
        # Today's price, or the one paid when an admin has since taken it away.
        paid = {e.constructor_id: Decimal(e.price) for e in lineup.constructors}
        for c in cars:
            start = Decimal(c.price) if c.price else paid[c.id]
            car_prices[c.id] = moved.constructors.get(c.id, start) if moved else start
        cars.sort(key=lambda c: (-car_prices[c.id], c.id))
        used += sum(car_prices.values(), Decimal("0.0"))
    captain_id: int = lineup.captain_id
    return TeamDetail(
        team=team,
        drivers=list(drivers),
        captain_id=captain_id,
        budget_used=used,
        constructors=cars,
        prices={"drivers": driver_prices, "constructors": car_prices},
    )


@dataclass
class LineupView:
    """A team's current lineup with, in a game with a market, where its market stands."""

    detail: TeamDetail
    market: MarketState | None

    @property
    def transfers(self) -> tuple[int, int]:
        """Return (transfers, penalty) the current lineup counts for the next race."""
        if self.market is None:
            return 0, 0
        return self.market.counted(self.market.current)

    @property
    def transfers_left(self) -> int | None:
        """Return the free transfers still left for the next race; None while all are free."""
        if self.market is None or self.market.free is None:
            return None
        return max(0, self.market.free - self.transfers[0])

    @property
    def team_value(self) -> Decimal:
        """Return the bank plus the current lineup's assets at today's prices."""
        if self.market is None:
            return self.detail.budget_used
        current = self.market.current
        held = (current.drivers, current.constructors) if current else ((), ())
        return self.market.bank + cost(
            self.market.prices, driver_ids=held[0], constructor_ids=held[1]
        )


async def lineup_view(*, team: Team, now: datetime | None = None) -> LineupView:
    """Return a team's current lineup and its market (bank, transfers, chips)."""
    game = games.get(team.game)
    state = None
    if game.market is not None:
        state = await market_state(team=team, game=game, now=now or gameclock.now())
    return LineupView(detail=await team_detail(team=team), market=state)


@dataclass
class Preview:
    """What saving a pick would do in the market, shown before it is saved."""

    plan: Plan | None
    # The bank rule the pick breaks, if it does.
    error: AppError | None


async def preview_lineup(
    *, team: Team, driver_ids: Sequence[int], constructor_ids: Sequence[int], now: datetime
) -> Preview | None:
    """Return the bank, transfers and penalty a pick would store; None without a market."""
    game = games.get(team.game)
    if game.market is None:
        return None
    state = await market_state(team=team, game=game, now=now)
    try:
        return Preview(
            plan_save(state, driver_ids=driver_ids, constructor_ids=constructor_ids), None
        )
    except AppError as broken:
        return Preview(None, broken)


async def owned_team(*, user: User, team_id: int) -> Team:
    """Return the caller's team, or fail with `not_found` / `forbidden`."""
    return await _owned_team(user=user, team_id=team_id)


async def list_my_teams(*, owner: User, season: int | None = None) -> list[Team]:
    """Return the user's teams of a season (the current one by default), oldest first."""
    season = season or await current_season(configured=None)
    return (
        await Team.filter(owner_id=owner.id, season_id=season)
        .select_related("owner")
        .order_by("id")
    )


async def latest_lineup(*, team_id: int, before: datetime | None = None) -> Lineup | None:
    """Return the team's last saved lineup (strictly before `before` if given), with drivers."""
    query = Lineup.filter(team_id=team_id)
    if before is not None:
        query = query.filter(saved_at__lt=before)
    return (
        await query.order_by("-saved_at", "-id").prefetch_related("drivers", "constructors").first()
    )


async def current_lineup(*, team: Team, now: datetime | None = None) -> Lineup | None:
    """Return the lineup the team holds now: the last saved, unless a chip reverted it."""
    game = games.get(team.game)
    reverting = [c.name for c in game.market.chips if c.reverts_after_race] if game.market else []
    if not reverting:
        return await latest_lineup(team_id=team.id)
    now = now or gameclock.now()
    race_ids = await TeamChip.filter(team_id=team.id, chip__in=reverting).values_list(
        "race_id", flat=True
    )
    races = await Race.filter(id__in=list(race_ids)) if race_ids else []
    # Lineups saved for a race played with a reverting chip count for that race only.
    over = [r.id for r in races if is_locked(r, now=now)]
    query = Lineup.filter(team_id=team.id)
    if over:
        query = query.filter(Q(race_id__isnull=True) | ~Q(race_id__in=over))
    return (
        await query.order_by("-saved_at", "-id").prefetch_related("drivers", "constructors").first()
    )


async def _owned_team(*, user: User, team_id: int) -> Team:
    team = await get_team(team_id=team_id)
    if team.owner_id != user.id:
        raise AppError.forbidden("This team is not yours")
    return team


async def _check_name_free(
    *, owner_id: int, season: int, name: str, except_team: int | None = None
) -> None:
    query = Team.filter(owner_id=owner_id, season_id=season, name__iexact=name)
    if except_team is not None:
        query = query.exclude(id=except_team)
    if await query.exists():
        raise AppError(
            "validation_error",
            f"You already have a team called {name!r}",
            details={"fields": {"name": "already used by another of your teams"}},
            field="name",
        )


async def _save_lineup(
    *,
    team: Team,
    driver_ids: Sequence[int],
    captain_id: int | None,
    drivers: dict[int, DriverInfo],
    saved_at: datetime,
    constructor_ids: Sequence[int] = (),
    constructors: dict[int, ConstructorInfo] | None = None,
    plan: Plan | None = None,
) -> Lineup:
    market: dict[str, Any] = {}
    if plan is not None:
        market = {
            "race_id": plan.race_id,
            "bank": plan.bank,
            "transfers": plan.transfers,
            "free_transfers": plan.free_transfers,
            "penalty_points": plan.penalty_points,
        }
    try:
        lineup = await Lineup.create(
            team_id=team.id, captain_id=captain_id, saved_at=saved_at, **market
        )
        await LineupDriver.bulk_create(
            [
                LineupDriver(
                    lineup_id=lineup.id,
                    driver_id=i,
                    is_captain=i == captain_id,
                    price=plan.prices.drivers.get(i, drivers[i].price)
                    if plan
                    else drivers[i].price,
                )
                for i in driver_ids
            ]
        )
        if constructor_ids:
            priced = constructors or {}
            await LineupConstructor.bulk_create(
                [
                    LineupConstructor(
                        lineup_id=lineup.id,
                        constructor_id=i,
                        price=plan.prices.constructors.get(i, priced[i].price)
                        if plan
                        else priced[i].price,
                    )
                    for i in constructor_ids
                ]
            )
    except IntegrityError as exc:  # an asset deleted between the check and the insert
        raise AppError("unknown_driver", "A picked driver or constructor no longer exists") from exc
    return lineup


def _season_id(team: Team) -> int:
    return int(team.season_id)

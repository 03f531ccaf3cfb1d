"""Transfers: which lineup a change is counted against, the free ones left and the penalty.

Everything here is read and decided when a lineup is saved; the lineup row keeps the
answer (race, bank, transfers, free transfers, penalty) so rescoring stays one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from webapp.errors import AppError
from webapp.games.model import Chip, Game, Market
from webapp.market.bank import asset_prices, bank_after, cost
from webapp.market.prices import AssetPrices
from webapp.models import (
    Lineup,
    LineupConstructor,
    LineupDriver,
    Race,
    RaceStatus,
    Team,
    TeamChip,
    TeamRaceScore,
)


def is_locked(race: Race, *, now: datetime) -> bool:
    """Tell whether lineups for the race are frozen (status or the clock says so)."""
    if race.status == RaceStatus.CANCELLED:
        return False
    return race.status != RaceStatus.SCHEDULED or race.lock_at <= now


@dataclass(frozen=True, slots=True)
class Saved:
    """One saved lineup of a team, as the market reads it."""

    id: int
    saved_at: datetime
    race_id: int | None
    captain_id: int
    drivers: frozenset[int]
    constructors: frozenset[int]
    bank: Decimal | None
    transfers: int
    free_transfers: int | None
    penalty_points: int


@dataclass
class MarketState:
    """Where a market team stands now: its next race, lineups, bank, transfers and chips."""

    market: Market
    # The race a save or chip counts for now: the first one not locked; None at season end.
    race: Race | None
    # The lineup the team holds now, and the one that scored in its last locked race.
    current: Saved | None
    base: Saved | None
    # The free transfers the next race gives; None while every change is free.
    free: int | None
    bank: Decimal
    # Chip names played, by race id.
    prices: AssetPrices
    chips: dict[int, list[str]] = field(default_factory=dict)
    races: dict[int, Race] = field(default_factory=dict)
    # Whether the team has a scored race (chips that need one wait for it).
    scored: bool = False

    @property
    def first_lineup_free(self) -> bool:
        """Tell whether changes are free because the team has no locked race yet."""
        return self.free is None

    def chips_for(self, race_id: int | None) -> list[Chip]:
        """Return the chips played for a race, as the market defines them."""
        by_name = {c.name: c for c in self.market.chips}
        return [by_name[n] for n in self.chips.get(race_id or 0, []) if n in by_name]

    @property
    def active(self) -> list[Chip]:
        """Return the chips played for the next race."""
        return self.chips_for(self.race.id if self.race else None)

    @property
    def unlimited(self) -> bool:
        """Tell whether a chip of the next race makes every transfer free."""
        return any(c.unlimited_transfers for c in self.active)

    @property
    def no_budget(self) -> bool:
        """Tell whether a chip of the next race lifts the bank's limit."""
        return any(c.no_budget for c in self.active)

    def counted(self, lineup: Saved | None) -> tuple[int, int]:
        """Return (transfers, penalty) of a lineup for the next race, chips applied."""
        if lineup is None or self.race is None or lineup.race_id != self.race.id:
            return 0, 0
        if self.unlimited:
            return lineup.transfers, 0
        return lineup.transfers, lineup.penalty_points


@dataclass(frozen=True, slots=True)
class Plan:
    """What saving a pick would store and cost."""

    race_id: int | None
    bank: Decimal
    transfers: int
    free_transfers: int | None
    # The penalty stored (chips aside: scoring drops it under an unlimited-transfers chip).
    penalty_points: int
    # The penalty the next race would count, chips applied.
    penalty_counted: int
    # The prices paid: each asset's current price in the game.
    prices: AssetPrices


def market_of(game: Game) -> Market:
    """Return the game's market, or fail for a game without one."""
    if game.market is None:
        raise AppError(
            "chip_not_available",
            f"The {game.title} game has no market: no bank, transfers or chips",
        )
    return game.market


async def market_state(*, team: Team, game: Game, now: datetime) -> MarketState:
    """Read a team's lineups, chips and its season's races into its market state."""
    market = market_of(game)
    races = list(
        await Race.filter(season_id=team.season_id)
        .exclude(status=RaceStatus.CANCELLED)
        .order_by("lock_at", "id")
    )
    chips: dict[int, list[str]] = {}
    for race_id, name in (
        await TeamChip.filter(team_id=team.id).order_by("id").values_list("race_id", "chip")
    ):
        chips.setdefault(int(race_id), []).append(str(name))
    history = await _history(team_id=team.id)
    by_name = {c.name: c for c in market.chips}
    # Lineups saved for a race whose chip reverts count for that race only.
    reverting = {
        r
        for r, names in chips.items()
        if any(by_name[n].reverts_after_race for n in names if n in by_name)
    }
    locked = [r for r in races if is_locked(r, now=now)]
    upcoming = next((r for r in races if not is_locked(r, now=now)), None)

    def chosen(race: Race) -> Saved | None:
        counted = [
            s
            for s in history
            if s.saved_at < race.lock_at and not (s.race_id in reverting and s.race_id != race.id)
        ]
        return counted[-1] if counted else None

    played = [(r, chosen(r)) for r in locked]
    team_locked = [(r, s) for r, s in played if s is not None]
    upcoming_id = upcoming.id if upcoming else None
    kept = [s for s in history if not (s.race_id in reverting and s.race_id != upcoming_id)]
    current = kept[-1] if kept else None
    base = None
    free: int | None = None
    if team_locked:
        last_lock = team_locked[-1][0].lock_at
        before = [s for s in history if s.saved_at < last_lock and s.race_id not in reverting]
        base = before[-1] if before else team_locked[-1][1]
        free = _free_next(market, team_locked, chips=chips)
    prices = await asset_prices(game=game.name, season_id=team.season_id)
    bank = _bank_of(market, current, prices)
    return MarketState(
        market=market,
        race=upcoming,
        current=current,
        base=base,
        free=free,
        bank=bank,
        prices=prices,
        chips=chips,
        races={r.id: r for r in races},
        scored=await TeamRaceScore.exists(team_id=team.id),
    )


def _free_next(
    market: Market, team_locked: Sequence[tuple[Race, Saved | None]], *, chips: dict[int, list[str]]
) -> int:
    """Walk the team's locked races: the free transfers left, carried over, for the next."""
    rules = market.transfers
    unlimited = {c.name for c in market.chips if c.unlimited_transfers}
    carry = 0
    # The first locked race's lineup was free and carries nothing over.
    for race, saved in team_locked[1:]:
        available = rules.free_per_race + carry
        free_race = any(n in unlimited for n in chips.get(race.id, []))
        # A lineup carried on from an earlier race made no transfers for this one.
        new_here = saved is not None and saved.race_id == race.id
        used = saved.transfers if saved is not None and new_here and not free_race else 0
        carry = min(rules.max_carry_over, max(0, available - used))
    return rules.free_per_race + carry


def _bank_of(market: Market, lineup: Saved | None, prices: AssetPrices) -> Decimal:
    if lineup is None:
        return market.bank
    if lineup.bank is not None:
        return lineup.bank
    # A lineup saved before the market existed: the bank is what today's prices leave.
    return market.bank - cost(
        prices, driver_ids=lineup.drivers, constructor_ids=lineup.constructors
    )


def count_transfers(
    base: Saved | None, *, driver_ids: Sequence[int], constructor_ids: Sequence[int]
) -> int:
    """Return how many assets of a pick the base lineup lacks (net: out and back in is 0)."""
    if base is None:
        return 0
    return len(set(driver_ids) - base.drivers) + len(set(constructor_ids) - base.constructors)


def plan_save(
    state: MarketState,
    *,
    driver_ids: Sequence[int],
    constructor_ids: Sequence[int],
) -> Plan:
    """Return what saving the pick stores, or raise `insufficient_bank`."""
    market, prices = state.market, state.prices
    race_id = state.race.id if state.race else None
    if state.current is None or state.first_lineup_free:
        # Before the team's first locked race the lineup is bought afresh from the bank.
        spent = cost(prices, driver_ids=driver_ids, constructor_ids=constructor_ids)
        bank = market.bank - spent
        transfers, free, penalty = 0, None, 0
        if bank < 0 and not state.no_budget:
            # The roster's budget rule, at the game's current prices.
            raise AppError(
                "over_budget",
                f"Lineup costs {spent:.1f}, budget is {market.bank:.1f}",
                field="driver_ids",
            )
    else:
        current = state.current
        bank = bank_after(
            bank=state.bank,
            prices=prices,
            held=(current.drivers, current.constructors),
            picked=(driver_ids, constructor_ids),
        )
        transfers = count_transfers(
            state.base, driver_ids=driver_ids, constructor_ids=constructor_ids
        )
        free = state.free
        extra = max(0, transfers - free) if free is not None else 0
        penalty = market.transfers.penalty_points * extra if race_id is not None else 0
    if bank < 0 and not state.no_budget:
        raise AppError(
            "insufficient_bank",
            f"This lineup needs {-bank:.1f} more than the bank holds (bank {state.bank:.1f});"
            " the bank never goes below 0",
            field="driver_ids",
            details={"bank": f"{state.bank:.1f}", "short": f"{-bank:.1f}"},
        )
    return Plan(
        race_id=race_id,
        bank=bank,
        transfers=transfers,
        free_transfers=free,
        penalty_points=penalty,
        penalty_counted=0 if state.unlimited else penalty,
        prices=prices,
    )


async def _history(*, team_id: int) -> list[Saved]:
    rows = await Lineup.filter(team_id=team_id).order_by("saved_at", "id")
    ids = [r.id for r in rows]
    drivers: dict[int, set[int]] = {}
    for lineup_id, driver_id in await LineupDriver.filter(lineup_id__in=ids).values_list(
        "lineup_id", "driver_id"
    ):
        drivers.setdefault(int(lineup_id), set()).add(int(driver_id))
    cars: dict[int, set[int]] = {}
    for lineup_id, constructor_id in await LineupConstructor.filter(lineup_id__in=ids).values_list(
        "lineup_id", "constructor_id"
    ):
        cars.setdefault(int(lineup_id), set()).add(int(constructor_id))
    return [
        Saved(
            id=r.id,
            saved_at=r.saved_at,
            race_id=r.race_id,
            captain_id=r.captain_id,
            drivers=frozenset(drivers.get(r.id, set())),
            constructors=frozenset(cars.get(r.id, set())),
            bank=Decimal(r.bank) if r.bank is not None else None,
            transfers=r.transfers,
            free_transfers=r.free_transfers,
            penalty_points=r.penalty_points,
        )
        for r in rows
    ]

"""Chips: play one for the next race, cancel it until the lock, and each chip's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from webapp.errors import AppError
from webapp.games.model import Chip, Game
from webapp.market.transfers import MarketState, market_of, market_state
from webapp.models import Team, TeamChip


@dataclass(frozen=True, slots=True)
class ChipState:
    """A chip as a team sees it: available, played (for the next race), used or not yet."""

    chip: Chip
    state: str
    race_id: int | None
    reason: str


def find_chip(game: Game, name: str) -> Chip:
    """Return the game's chip called `name`, or fail naming the known ones."""
    market = market_of(game)
    for chip in market.chips:
        if chip.name == name:
            return chip
    known = ", ".join(c.name for c in market.chips)
    raise AppError.not_found(f"The {game.title} game has no chip {name!r} (chips: {known})")


def chip_states(state: MarketState) -> list[ChipState]:
    """Return every chip of the market with what the team may do with it now."""
    out = []
    next_id = state.race.id if state.race else None
    for chip in state.market.chips:
        played = [r for r, names in state.chips.items() if chip.name in names]
        if next_id in played:
            out.append(
                ChipState(
                    chip, "played", next_id, "Played for the next race; cancellable until its lock"
                )
            )
        elif len(played) >= state.market.chip_uses_per_season:
            race = state.races.get(played[-1])
            where = race.name if race else "an earlier race"
            out.append(ChipState(chip, "used", played[-1], f"Used for {where}"))
        else:
            problem = _play_problem(state, chip)
            out.append(
                ChipState(
                    chip,
                    "available" if problem is None else "not_available",
                    None,
                    problem.message if problem else "",
                )
            )
    return out


def _play_problem(state: MarketState, chip: Chip) -> AppError | None:
    """Return the rule playing `chip` for the next race would break, the first one first."""
    market = state.market
    if state.race is None:
        return AppError(
            "chip_locked",
            f"{chip.title} cannot be played: every race of the season has locked",
        )
    played = [r for r, names in state.chips.items() if chip.name in names]
    if len(played) >= market.chip_uses_per_season:
        race = state.races.get(played[-1])
        where = race.name if race else "an earlier race"
        return AppError(
            "chip_used",
            f"{chip.title} is already played for {where}; each chip is played"
            f" {_times(market.chip_uses_per_season)} a season",
        )
    if chip.after_first_scored_race and not state.scored:
        return AppError(
            "chip_not_available",
            f"{chip.title} becomes available after the team's first scored race",
        )
    others = state.chips.get(state.race.id, [])
    if len(others) >= market.chips_per_race:
        titles = {c.name: c.title for c in market.chips}
        named = ", ".join(titles.get(n, n) for n in others)
        return AppError(
            "one_chip_per_race",
            f"{named} is already played for {state.race.name}; a race takes"
            f" {market.chips_per_race} chip(s): cancel it first",
        )
    return None


async def play_chip(*, team: Team, game: Game, name: str, now: datetime) -> MarketState:
    """Play a chip for the team's next race, or raise the rule it breaks; nothing saved then."""
    chip = find_chip(game, name)
    async with in_transaction():
        # Two tabs playing two chips queue here; the second sees the first's chip.
        await Team.select_for_update(no_key=True).get(id=team.id)
        state = await market_state(team=team, game=game, now=now)
        problem = _play_problem(state, chip)
        if problem is not None:
            raise problem
        assert state.race is not None  # nosec B101  (no race is a problem above)
        await TeamChip.create(team_id=team.id, race_id=state.race.id, chip=chip.name, played_at=now)
        state.chips.setdefault(state.race.id, []).append(chip.name)
    return state


async def cancel_chip(*, team: Team, game: Game, name: str, now: datetime) -> MarketState:
    """Cancel a chip played for the next race, before its lock; nothing changes on error."""
    chip = find_chip(game, name)
    async with in_transaction():
        await Team.select_for_update(no_key=True).get(id=team.id)
        state = await market_state(team=team, game=game, now=now)
        played = [r for r, names in state.chips.items() if chip.name in names]
        next_id = state.race.id if state.race else None
        if next_id not in played:
            if played:
                race = state.races.get(played[-1])
                where = race.name if race else "an earlier race"
                raise AppError(
                    "chip_locked",
                    f"{chip.title} was played for {where}, whose lineups are locked;"
                    " a chip is cancellable only until the lock",
                )
            raise AppError.not_found(f"{chip.title} is not played")
        saved_under = state.current is not None and state.current.race_id == next_id
        if chip.no_budget and saved_under and state.bank < 0:
            raise AppError(
                "insufficient_bank",
                f"Cancelling {chip.title} would leave the bank at {state.bank:.1f};"
                " the bank never goes below 0: sell first",
            )
        await TeamChip.filter(team_id=team.id, race_id=next_id, chip=chip.name).delete()
        state.chips[next_id or 0].remove(chip.name)
    return state


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"

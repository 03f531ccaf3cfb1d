"""The parts a game is made of, as frozen data: roster rules and the points of each session."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class RosterRules:
    """What a lineup of this game must hold."""

    drivers: int
    constructors: int
    budget: Decimal
    # At most this many drivers whose current constructor is the same.
    per_constructor: int
    # The captain is one of the lineup's drivers.
    captain: bool = True


@dataclass(frozen=True, slots=True)
class QualifyingRules:
    """A driver's qualifying points."""

    # Points by qualifying position: index 0 is P1; positions past the end score 0.
    position_points: tuple[int, ...]
    # Scored instead of any position points.
    no_time: int
    disqualified: int


@dataclass(frozen=True, slots=True)
class SessionRules:
    """A driver's points in a race-like session (the sprint or the race)."""

    # Points by classified position: index 0 is P1; positions past the end score 0.
    position_points: tuple[int, ...]
    # Points per position gained from the grid (and lost, negated); 0 leaves the grid unscored.
    per_position_gained: int = 0
    fastest_lap: int = 0
    # The feed's FastestLap.rank that earns the fastest-lap points.
    fastest_lap_rank: int = 1
    # Entered by an admin; only the race has one.
    driver_of_the_day: int = 0
    not_classified: int = 0
    disqualified: int = 0
    # positionText values that mean "retired or not classified".
    not_classified_texts: frozenset[str] = field(default_factory=lambda: frozenset({"R", "N"}))
    # positionText values that mean disqualified: the penalty is the only points scored.
    disqualified_texts: frozenset[str] = field(default_factory=lambda: frozenset({"D"}))
    # positionText values of drivers who never started; they do not count among the starters.
    non_starter_texts: frozenset[str] = field(default_factory=lambda: frozenset({"W", "F"}))


@dataclass(frozen=True, slots=True)
class QualifyingBonus:
    """A constructor's bonus for how far its cars got in qualifying."""

    both_q3: int
    one_q3: int
    both_q2: int
    one_q2: int
    neither_leaves_q1: int


@dataclass(frozen=True, slots=True)
class ConstructorRules:
    """How a constructor in a lineup scores: its drivers' session points plus a bonus."""

    qualifying_bonus: QualifyingBonus
    # Driver of the Day counts for the driver only, never for the car's constructor.
    includes_driver_of_the_day: bool = False


@dataclass(frozen=True, slots=True)
class Scoring:
    """Every session a game scores; a session set to None is not scored."""

    race: SessionRules
    qualifying: QualifyingRules | None = None
    sprint: SessionRules | None = None
    constructor: ConstructorRules | None = None
    # The captain's qualifying, sprint and race points are multiplied by this.
    captain_multiplier: int = 2


@dataclass(frozen=True, slots=True)
class TransferRules:
    """How many lineup changes a race gives for free, and what each one past them costs."""

    free_per_race: int
    # Unused free transfers carried over to the next race, at most this many.
    max_carry_over: int
    # Added to the next race's score for every transfer beyond the free ones.
    penalty_points: int


@dataclass(frozen=True, slots=True)
class Chip:
    """A once-a-season play: what it changes for the race it is played in, as data."""

    name: str
    title: str
    description: str
    # The captain's points are multiplied by this instead of the game's multiplier.
    captain_multiplier: int | None = None
    # Every transfer for this race is free.
    unlimited_transfers: bool = False
    # The bank does not limit the lineup for this race.
    no_budget: bool = False
    # After the race the team returns to the lineup and bank it had before the chip.
    reverts_after_race: bool = False
    # Every negative line of the race's breakdown counts 0 (transfer penalties still apply).
    no_negative: bool = False
    # The captain multiplier goes to the team's best-scoring driver, after the results.
    auto_captain: bool = False
    # Playable only once the team has a scored race.
    after_first_scored_race: bool = False


@dataclass(frozen=True, slots=True)
class PriceBand:
    """Price moves for a points-per-million band, for dear and for cheap assets."""

    # The band holds points per million above this (or equal, when `inclusive`); None: all.
    above: Decimal | None
    inclusive: bool
    dear_move: Decimal
    cheap_move: Decimal


@dataclass(frozen=True, slots=True)
class PriceRules:
    """How prices move once per race, when its results are first stored."""

    # Form: the average of the asset's game points over its last this-many races.
    form_races: int
    # Assets priced at or above this move by a band's dear_move, the others by cheap_move.
    dear_from: Decimal
    # Checked from the first: the first band whose bound the points per million pass.
    bands: tuple[PriceBand, ...]
    floor: Decimal


@dataclass(frozen=True, slots=True)
class Market:
    """A game's market: the bank, transfers, chips and price changes."""

    bank: Decimal
    transfers: TransferRules
    chips: tuple[Chip, ...]
    prices: PriceRules
    chips_per_race: int = 1
    # Each chip is played at most this many times a season.
    chip_uses_per_season: int = 1


@dataclass(frozen=True, slots=True)
class Game:
    """One game: its name, its roster rules and its scoring, all data."""

    name: str
    title: str
    summary: str
    roster: RosterRules
    scoring: Scoring
    # What the feed does not carry and the game therefore does not score.
    not_scored: tuple[str, ...] = ()
    # None: lineups are rewritten freely before every lock and prices never move.
    market: Market | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the game's rules as plain data, sets as sorted lists, for the API."""
        plain: dict[str, Any] = _plain(asdict(self))
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value

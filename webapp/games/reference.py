"""A plain-Python scorer of any game's rules, written apart from rescoring's SQL.

It states the rules of docs/games.md one line at a time, so tests can hold the SQL to it
and a new game is scored here from its data alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from webapp.games.model import Chip, ConstructorRules, Game, QualifyingRules, SessionRules

SESSIONS = ("qualifying", "sprint", "race")


@dataclass(frozen=True, slots=True)
class Result:
    """One driver's line in a sprint or race classification (the feed's fields)."""

    driver: str
    constructor: str
    grid: int
    position_text: str
    fastest_lap_rank: int | None = None


@dataclass(frozen=True, slots=True)
class QualifyingResult:
    """One driver's qualifying: the position, the last part reached (1, 2 or 3) and flags."""

    driver: str
    constructor: str
    position: int
    reached: int
    time_set: bool = True
    disqualified: bool = False


@dataclass(frozen=True, slots=True)
class Weekend:
    """Every session of one race weekend; `sprint` is None when the weekend has none."""

    race: tuple[Result, ...]
    qualifying: tuple[QualifyingResult, ...] = ()
    sprint: tuple[Result, ...] | None = None
    driver_of_the_day: str | None = None


@dataclass(frozen=True, slots=True)
class Lineup:
    """The assets a team fields for the weekend."""

    drivers: tuple[str, ...]
    captain: str | None
    constructors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AssetScore:
    """One asset's points, per session; `captain` is what the multiplier adds."""

    kind: str
    ref: str
    qualifying: int = 0
    sprint: int = 0
    race: int = 0
    bonus: int = 0
    captain: int = 0

    @property
    def points(self) -> int:
        """Return the asset's total for the weekend."""
        return self.qualifying + self.sprint + self.race + self.bonus + self.captain


@dataclass(frozen=True, slots=True)
class TeamScore:
    """A team's weekend: one line per asset, drivers first, the transfer penalty, the total."""

    assets: tuple[AssetScore, ...]
    penalty: int = 0
    chip: str | None = None
    # The driver whose points the captain multiplier counted.
    captain: str | None = None

    @property
    def points(self) -> int:
        """Return the team's total for the weekend."""
        return sum(asset.points for asset in self.assets) + self.penalty

    def asset(self, ref: str) -> AssetScore:
        """Return the line of the asset called `ref`."""
        return next(a for a in self.assets if a.ref == ref)


def qualifying_points(rules: QualifyingRules | None, entry: QualifyingResult | None) -> int:
    """Return a driver's qualifying points; no entry scores nothing."""
    if rules is None or entry is None:
        return 0
    if entry.disqualified:
        return rules.disqualified
    if not entry.time_set:
        return rules.no_time
    return _by_position(rules.position_points, entry.position)


def session_points(
    rules: SessionRules | None,
    results: Sequence[Result] | None,
    driver: str,
    *,
    driver_of_the_day: bool = False,
) -> int:
    """Return a driver's points in one sprint or race; not taking part scores nothing."""
    if rules is None or not results:
        return 0
    entry = next((r for r in results if r.driver == driver), None)
    if entry is None:
        return 0
    text = entry.position_text
    if text in rules.disqualified_texts:
        return rules.disqualified
    points = 0
    if entry.fastest_lap_rank == rules.fastest_lap_rank:
        points += rules.fastest_lap
    if driver_of_the_day:
        points += rules.driver_of_the_day
    if text.isdigit():
        position = int(text)
        points += _by_position(rules.position_points, position)
        points += rules.per_position_gained * (starting_position(rules, results, entry) - position)
    elif text in rules.not_classified_texts:
        points += rules.not_classified
    return points


def starting_position(rules: SessionRules, results: Sequence[Result], entry: Result) -> int:
    """Return where a driver started; a pit-lane start (grid 0) is last of the starters."""
    if entry.grid > 0:
        return entry.grid
    return sum(1 for r in results if r.position_text not in rules.non_starter_texts)


def qualifying_bonus(rules: ConstructorRules, entries: Sequence[QualifyingResult]) -> int:
    """Return a constructor's bonus for how far its cars got; no qualifying scores nothing."""
    if not entries:
        return 0
    bonus = rules.qualifying_bonus
    in_q3 = sum(1 for e in entries if e.reached >= 3)
    in_q2 = sum(1 for e in entries if e.reached == 2)
    if in_q3:
        return bonus.both_q3 if in_q3 >= 2 else bonus.one_q3
    if in_q2:
        return bonus.both_q2 if in_q2 >= 2 else bonus.one_q2
    return bonus.neither_leaves_q1


def score_driver(game: Game, weekend: Weekend, driver: str, *, captain: bool) -> AssetScore:
    """Score one driver of a lineup for the weekend."""
    scoring = game.scoring
    dotd = weekend.driver_of_the_day == driver
    qualifying = qualifying_points(scoring.qualifying, _qualifying_entry(weekend, driver))
    sprint = session_points(scoring.sprint, weekend.sprint, driver)
    race = session_points(scoring.race, weekend.race, driver, driver_of_the_day=dotd)
    extra = (qualifying + sprint + race) * (scoring.captain_multiplier - 1) if captain else 0
    return AssetScore("driver", driver, qualifying, sprint, race, 0, extra)


def score_constructor(game: Game, weekend: Weekend, constructor: str) -> AssetScore:
    """Score one constructor: its drivers' session points for the weekend plus its bonus."""
    rules = game.scoring.constructor
    if rules is None:
        return AssetScore("constructor", constructor)
    scoring = game.scoring
    cars = [q for q in weekend.qualifying if q.constructor == constructor]
    sprinters = [r.driver for r in weekend.sprint or () if r.constructor == constructor]
    racers = [r.driver for r in weekend.race if r.constructor == constructor]
    qualifying = sum(qualifying_points(scoring.qualifying, q) for q in cars)
    sprint = sum(session_points(scoring.sprint, weekend.sprint, d) for d in sprinters)
    race = sum(
        session_points(
            scoring.race,
            weekend.race,
            d,
            driver_of_the_day=rules.includes_driver_of_the_day and weekend.driver_of_the_day == d,
        )
        for d in racers
    )
    return AssetScore(
        "constructor", constructor, qualifying, sprint, race, qualifying_bonus(rules, cars)
    )


def score_team(
    game: Game, weekend: Weekend, lineup: Lineup, *, chip: Chip | None = None, penalty: int = 0
) -> TeamScore:
    """Score a lineup for the weekend under `game`'s rules, with a chip and transfer penalty.

    `penalty` is the lineup's transfer penalty for this race; a chip with unlimited
    transfers drops it, and the chip's other flags change the lines as docs/games.md says.
    """
    if chip is None:
        drivers = [
            score_driver(game, weekend, d, captain=d == lineup.captain) for d in lineup.drivers
        ]
        constructors = [score_constructor(game, weekend, c) for c in lineup.constructors]
        return TeamScore(tuple(drivers + constructors), penalty, None, lineup.captain)
    plain = [score_driver(game, weekend, d, captain=False) for d in lineup.drivers]
    if chip.no_negative:
        plain = [_no_negative(a) for a in plain]
    captain = lineup.captain
    if chip.auto_captain and plain:
        # The best driver's points; a tie keeps the captain, then the first listed.
        best = max(a.qualifying + a.sprint + a.race for a in plain)
        tied = [a.ref for a in plain if a.qualifying + a.sprint + a.race == best]
        captain = lineup.captain if lineup.captain in tied else tied[0]
    multiplier = chip.captain_multiplier or game.scoring.captain_multiplier
    drivers = [
        replace(a, captain=(a.qualifying + a.sprint + a.race) * (multiplier - 1))
        if a.ref == captain
        else a
        for a in plain
    ]
    constructors = [score_constructor(game, weekend, c) for c in lineup.constructors]
    if chip.no_negative:
        constructors = [_no_negative(a) for a in constructors]
    return TeamScore(
        tuple(drivers + constructors),
        0 if chip.unlimited_transfers else penalty,
        chip.name,
        captain,
    )


def _no_negative(asset: AssetScore) -> AssetScore:
    """Return an asset's line with every negative session line (and bonus) at 0."""
    return replace(
        asset,
        qualifying=max(0, asset.qualifying),
        sprint=max(0, asset.sprint),
        race=max(0, asset.race),
        bonus=max(0, asset.bonus),
    )


def _qualifying_entry(weekend: Weekend, driver: str) -> QualifyingResult | None:
    return next((q for q in weekend.qualifying if q.driver == driver), None)


def _by_position(table: tuple[int, ...], position: int) -> int:
    return table[position - 1] if 1 <= position <= len(table) else 0

"""A Grand Prix team plays every chip through five real 2024 races, held to the reference.

Each round's qualifying, sprint and race are stored as the feed gives them (the bundled
season through webapp/replay/ergast.py and the results pipeline, which rescores); the team
saves lineups and plays chips through the domain functions the API calls, before each
lock. Every race's points must equal webapp/games/reference.py for the lineup that
counted, its chip and the transfer penalty worked out by hand below.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from tests.market.bundled import LATER, bundled
from webapp.catalogue.loader import load_season
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.model import Chip
from webapp.games.reference import Lineup, QualifyingResult, Result, Weekend, score_team
from webapp.market.chips import play_chip
from webapp.models import (
    Constructor,
    Driver,
    Race,
    RaceResult,
    ResultSource,
    SessionResult,
    Team,
    TeamRaceScore,
    User,
)
from webapp.pipeline import store_results
from webapp.scoring.queries import weekend_scores
from webapp.settings import ROOT
from webapp.teams.service import create_team, lineup_view, update_team

assert GRAND_PRIX.market is not None
CHIPS = {c.name: c for c in GRAND_PRIX.market.chips}


async def stored_weekend(race: Race) -> Weekend:
    """Read a race's stored weekend back as the reference scorer takes it."""
    race = await Race.get(id=race.id)
    version = race.results_version
    rows = await RaceResult.filter(race_id=race.id, version=version).select_related(
        "driver", "constructor"
    )
    sessions = await SessionResult.filter(race_id=race.id, version=version).select_related(
        "driver", "constructor"
    )
    qualifying = tuple(
        QualifyingResult(
            s.driver.ref,
            s.constructor.ref,
            s.position or 0,
            s.reached or 0,
            time_set=(s.reached or 0) > 0,
            disqualified=bool(s.disqualified),
        )
        for s in sessions
        if s.session == "qualifying"
    )
    sprint = tuple(
        Result(s.driver.ref, s.constructor.ref, s.grid or 0, s.position_text, s.fastest_lap_rank)
        for s in sessions
        if s.session == "sprint"
    )
    return Weekend(
        race=tuple(
            Result(r.driver.ref, r.constructor.ref, r.grid, r.position_text, r.fastest_lap_rank)
            for r in rows
        ),
        qualifying=qualifying,
        sprint=sprint or None,
        driver_of_the_day=None,
    )


@pytest.fixture
async def season_2024(db: None, redis: Redis) -> dict[int, Race]:
    await load_season(path=ROOT / "webapp" / "catalogue" / "season_2024.json")
    return {race.round: race for race in await Race.filter(season_id=2024)}


class Player:
    """The team, its assets by ref, and what each race should count."""

    def __init__(self, races: dict[int, Race], team: Team, owner: User) -> None:
        self.races, self.team, self.owner = races, team, owner
        self.drivers: dict[str, int] = {}
        self.constructors: dict[str, int] = {}

    def before(self, round_: int) -> datetime:
        return self.races[round_].lock_at - timedelta(hours=1)

    async def save(self, round_: int, drivers: list[str], cars: list[str], captain: str) -> None:
        await update_team(
            user=self.owner,
            team_id=self.team.id,
            driver_ids=[self.drivers[d] for d in drivers],
            constructor_ids=[self.constructors[c] for c in cars],
            captain_id=self.drivers[captain],
            now=self.before(round_),
        )

    async def play(self, round_: int, chip: str) -> None:
        await play_chip(team=self.team, game=GRAND_PRIX, name=chip, now=self.before(round_))

    async def race(self, round_: int) -> None:
        """Store the round's results through the pipeline, once its lineups have locked."""
        await store_results(
            race_id=self.races[round_].id, results=bundled(round_), source=ResultSource.FEED
        )


def lineup(drivers: list[str], cars: list[str], captain: str, ids: dict[str, int]) -> Lineup:
    # Listed by driver id: the auto-captain's tie-break, as the statement's.
    return Lineup(tuple(sorted(drivers, key=lambda d: ids[d])), captain, tuple(cars))


async def test_five_races_with_every_chip_agree_with_the_reference(
    season_2024: dict[int, Race],
) -> None:
    owner = await User.create(
        email="trader@example.com", username="trader", display_name="Trader", password_hash="-"
    )
    drivers = {d.ref: d.id for d in await Driver.filter(season_id=2024)}
    constructors = {c.ref: c.id for c in await Constructor.filter(season_id=2024)}
    races = season_2024
    r1 = (["max_verstappen", "hamilton", "bearman", "kevin_magnussen", "zhou"], ["haas", "sauber"])
    team = await create_team(
        owner=owner,
        name="Chip Stack",
        driver_ids=[drivers[d] for d in r1[0]],
        constructor_ids=[constructors[c] for c in r1[1]],
        captain_id=drivers["hamilton"],
        game="grand_prix",
        season=2024,
        now=races[1].lock_at - timedelta(hours=1),
    )
    player = Player(races, team, owner)
    player.drivers, player.constructors = drivers, constructors
    counted: dict[int, tuple[Lineup, Chip | None, int]] = {}

    # Round 1: the first lineup is free; Extra Boost triples Hamilton.
    await player.play(1, "extra_boost")
    counted[1] = (lineup(*r1, "hamilton", drivers), CHIPS["extra_boost"], 0)
    await player.race(1)

    # Round 2: four in (three free would cost -10), all free under the Wildcard.
    r2 = (["max_verstappen", "russell", "bearman", "sargeant", "bottas"], ["haas", "rb"])
    await player.play(2, "wildcard")
    await player.save(2, *r2, captain="russell")
    counted[2] = (lineup(*r2, "russell", drivers), CHIPS["wildcard"], -10)
    await player.race(2)

    # Round 3: Limitless buys far past the bank, for this race only; its five in against
    # round 2's lineup (4 free: one carried over) would cost -10, and cost nothing.
    r3 = (["max_verstappen", "perez", "leclerc", "sainz", "russell"], ["red_bull", "ferrari"])
    await player.play(3, "limitless")
    await player.save(3, *r3, captain="max_verstappen")
    counted[3] = (lineup(*r3, "max_verstappen", drivers), CHIPS["limitless"], -10)
    view = await lineup_view(team=team, now=player.before(3))
    assert view.market is not None and view.market.bank < 0
    await player.race(3)

    # Round 4: back to round 2's lineup and bank. Round 2's three free transfers went
    # unused (the Wildcard's were free) and Limitless's too: one carries, so 4 are free;
    # five in is one past them: -10, which No Negative does not lift.
    view = await lineup_view(team=team, now=player.before(4))
    assert view.market is not None and view.market.free == 4
    assert sorted(d.ref for d in view.detail.drivers) == sorted(r2[0])
    r4 = (["perez", "ricciardo", "hulkenberg", "albon", "zhou"], ["haas", "rb"])
    await player.play(4, "no_negative")
    await player.save(4, *r4, captain="perez")
    counted[4] = (lineup(*r4, "perez", drivers), CHIPS["no_negative"], -10)
    await player.race(4)

    # Round 5 (a sprint weekend): round 4 used all its free transfers, so 3 again; four in
    # costs -10; Autopilot gives the multiplier to the best of the five.
    view = await lineup_view(team=team, now=player.before(5))
    assert view.market is not None and view.market.free == 3
    r5 = (["max_verstappen", "ricciardo", "kevin_magnussen", "sargeant", "bottas"], ["haas", "rb"])
    await player.play(5, "autopilot")
    await player.save(5, *r5, captain="ricciardo")
    counted[5] = (lineup(*r5, "ricciardo", drivers), CHIPS["autopilot"], -10)
    await player.race(5)

    game = GRAND_PRIX.as_dict()
    breakdowns = {
        s.race.round: s
        for s in await weekend_scores(team_id=team.id, system="grand_prix", now=LATER, game=game)
    }
    total = 0
    for round_, (picked, chip, penalty) in counted.items():
        weekend = await stored_weekend(races[round_])
        want = score_team(GRAND_PRIX, weekend, picked, chip=chip, penalty=penalty)
        plain = score_team(GRAND_PRIX, weekend, picked, penalty=penalty)
        score = await TeamRaceScore.get(team_id=team.id, race_id=races[round_].id)
        assert (score.points, score.penalty_points, score.chip) == (
            want.points,
            want.penalty,
            chip.name if chip else None,
        ), round_
        # The breakdown the team page and the API show adds up to the score, line by line.
        shown = breakdowns[round_]
        assert shown.points == want.points and shown.penalty_points == want.penalty
        by_driver = {v: k for k, v in drivers.items()}
        by_car = {v: k for k, v in constructors.items()}
        lines = {
            (by_driver[a.driver_id] if a.driver_id else by_car[a.constructor_id or 0]): (
                a.qualifying_points,
                a.sprint_points,
                a.race_points,
                a.bonus_points,
                a.captain_points,
            )
            for a in shown.assets
        }
        assert lines == {
            a.ref: (a.qualifying, a.sprint, a.race, a.bonus, a.captain) for a in want.assets
        }
        assert sum(a.points for a in shown.assets) + shown.penalty_points == shown.points
        total += want.points
        # Every chip changed something in these real races.
        assert want.points != plain.points, round_
    assert (await Team.get(id=team.id)).points == total
    # After the season the team holds round 5's lineup, paid from a bank never below 0.
    final = await lineup_view(team=team, now=LATER)
    assert final.market is not None and final.market.bank >= Decimal(0)
    assert sorted(d.ref for d in final.detail.drivers) == sorted(r5[0])

"""The reference scorer applies the Grand Prix rules to three real 2024 weekends.

Each expected figure is worked out by hand from docs/games.md in the comment above it,
from the fixtures in tests/fixtures/games (cut from the bundled 2024 season).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from webapp.games.classic import CLASSIC
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.model import Game, RosterRules, Scoring, SessionRules
from webapp.games.reference import (
    AssetScore,
    Lineup,
    QualifyingResult,
    Result,
    Weekend,
    score_constructor,
    score_driver,
    score_team,
)
from webapp.scoring.systems import CLASSIC as CLASSIC_SYSTEM
from webapp.scoring.systems import score_driver as classic_score_driver
from webapp.settings import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "games"


def weekend(name: str, **changes: Any) -> Weekend:
    """Load a fixture weekend."""
    data = json.loads((FIXTURES / f"{name}_2024.json").read_text())
    sprint = data["sprint"]
    return Weekend(
        qualifying=tuple(QualifyingResult(*row) for row in data["qualifying"]),
        sprint=tuple(Result(*row) for row in sprint) if sprint is not None else None,
        race=tuple(Result(*row) for row in data["race"]),
        **changes,
    )


def driver(game_weekend: Weekend, ref: str, *, captain: bool = False) -> AssetScore:
    return score_driver(GRAND_PRIX, game_weekend, ref, captain=captain)


def constructor(game_weekend: Weekend, ref: str) -> AssetScore:
    return score_constructor(GRAND_PRIX, game_weekend, ref)


def line(score: AssetScore) -> tuple[int, int, int, int, int, int]:
    """Return (qualifying, sprint, race, bonus, captain, total) of one asset."""
    return (score.qualifying, score.sprint, score.race, score.bonus, score.captain, score.points)


class TestShanghaiSprintWeekend:
    """China 2024: a sprint weekend (no sprint fastest laps in the feed)."""

    w = weekend("shanghai")

    def test_verstappen_as_captain(self) -> None:
        # Qualifying P1: 10. Sprint P1 (8) from grid 4: +3 -> 11.
        # Race P1 (25) from grid 1: 0; fastest lap rank 2: no bonus -> 25.
        # 10 + 11 + 25 = 46, doubled as captain: +46 -> 92.
        assert line(driver(self.w, "max_verstappen", captain=True)) == (10, 11, 25, 0, 46, 92)

    def test_hamilton_gains_from_the_back(self) -> None:
        # Qualifying P18: 0. Sprint P2 (7) from grid 2: 0 -> 7.
        # Race P9 (2) from grid 18: +9 -> 11. Total 18.
        assert line(driver(self.w, "hamilton")) == (0, 7, 11, 0, 0, 18)

    def test_alonso_classified_last_in_the_sprint(self) -> None:
        # Qualifying P3: 8. Sprint "20" is classified: 0 points, grid 3 -> 20: -17.
        # Race P7 (6) from grid 3: -4; fastest lap: +10 -> 12. Total 8 - 17 + 12 = 3.
        assert line(driver(self.w, "alonso")) == (8, -17, 12, 0, 0, 3)

    def test_bottas_retires_from_the_race(self) -> None:
        # Qualifying P10: 1. Sprint P12 (0) from grid 9: -3. Race R: -20 (no grid gain).
        assert line(driver(self.w, "bottas")) == (1, -3, -20, 0, 0, -22)

    def test_red_bull_both_in_q3(self) -> None:
        # Verstappen 10 / 11 / 25 (above). Perez: qualifying P2 9; sprint P3 (6) from 6: +3
        # -> 9; race P3 (15) from 2: -1 -> 14. Sums 19 / 20 / 39; both in Q3: +10 -> 88.
        assert line(constructor(self.w, "red_bull")) == (19, 20, 39, 10, 0, 88)

    def test_sauber_one_in_q3(self) -> None:
        # Bottas 1 / -3 / -20. Zhou: qualifying P16 0; sprint P9 (0) from 10: +1;
        # race P14 (0) from 16: +2. Sums 1 / -2 / -18; Bottas reached Q3: +5 -> -14.
        assert line(constructor(self.w, "sauber")) == (1, -2, -18, 5, 0, -14)

    def test_aston_martin(self) -> None:
        # Alonso 8 / -17 / 12. Stroll: qualifying P11 0; sprint P14 (0) from 15: +1;
        # race P15 (0) from 11: -4. Sums 8 / -16 / 8; one car in Q3: +5 -> 5.
        assert line(constructor(self.w, "aston_martin")) == (8, -16, 8, 5, 0, 5)


class TestSpaDisqualification:
    """Belgium 2024: Russell crossed the line first and was disqualified."""

    w = weekend("spa")

    def test_russell_scores_only_the_penalty_in_the_race(self) -> None:
        # Qualifying P7: 4. Race D: -25 and nothing else (his road win and his
        # six places from grid 6 do not count). 4 - 25 = -21.
        assert line(driver(self.w, "russell")) == (4, 0, -25, 0, 0, -21)
        # As captain the -21 is doubled: -42.
        assert driver(self.w, "russell", captain=True).points == -42

    def test_hamilton_inherits_the_win(self) -> None:
        # Qualifying P4: 7. Race P1 (25) from grid 3: +2 -> 27. Total 34.
        assert line(driver(self.w, "hamilton")) == (7, 0, 27, 0, 0, 34)

    def test_verstappen_after_a_grid_penalty(self) -> None:
        # Qualifying P1: 10. Race P4 (12) from grid 11: +7 -> 19. Total 29.
        assert line(driver(self.w, "max_verstappen")) == (10, 0, 19, 0, 0, 29)

    def test_perez_fastest_lap(self) -> None:
        # Qualifying P3: 8. Race P7 (6) from grid 2: -5; fastest lap: +10 -> 11. Total 19.
        assert line(driver(self.w, "perez")) == (8, 0, 11, 0, 0, 19)

    def test_zhou_not_classified(self) -> None:
        # Qualifying P20: 0. Race R: -20.
        assert line(driver(self.w, "zhou")) == (0, 0, -20, 0, 0, -20)

    def test_mercedes_carries_the_disqualification(self) -> None:
        # Qualifying 4 + 7 = 11; race -25 + 27 = 2; both in Q3: +10 -> 23.
        assert line(constructor(self.w, "mercedes")) == (11, 0, 2, 10, 0, 23)

    def test_sauber_one_in_q2(self) -> None:
        # Bottas: qualifying P14 (0, reached Q2); race P15 (0) from 14: -1.
        # Zhou: 0 and -20. Sums 0 / -21; one car in Q2 (none in Q3): +1 -> -20.
        assert line(constructor(self.w, "sauber")) == (0, 0, -21, 1, 0, -20)

    def test_driver_of_the_day_counts_for_the_driver_only(self) -> None:
        voted = weekend("spa", driver_of_the_day="hamilton")
        # Hamilton's race 27 + 10 = 37; total 44, and 88 as captain.
        assert line(driver(voted, "hamilton")) == (7, 0, 37, 0, 0, 44)
        assert driver(voted, "hamilton", captain=True).points == 88
        # Mercedes still scores 23: Driver of the Day is not a constructor's.
        assert constructor(voted, "mercedes").points == 23


class TestBakuPitLaneStarts:
    """Azerbaijan 2024: Hamilton and Ocon started from the pit lane (grid 0)."""

    w = weekend("baku")

    def test_hamilton_from_the_pit_lane_counts_from_last(self) -> None:
        # Qualifying P7: 4. Race P9 (2); grid 0 counts as 20th of the 20 starters:
        # +11 -> 13. Total 17; as captain +17 -> 34.
        assert line(driver(self.w, "hamilton", captain=True)) == (4, 0, 13, 0, 17, 34)

    def test_ocon_from_the_pit_lane(self) -> None:
        # Qualifying P19: 0. Race P15 (0) from 20th: +5.
        assert line(driver(self.w, "ocon")) == (0, 0, 5, 0, 0, 5)

    def test_norris_from_q1_to_fastest_lap(self) -> None:
        # Qualifying P16: 0. Race P4 (12) from grid 15: +11; fastest lap +10 -> 33.
        assert line(driver(self.w, "norris")) == (0, 0, 33, 0, 0, 33)

    def test_sainz_classified_after_a_late_crash(self) -> None:
        # Qualifying P3: 8. Race "18" is classified: 0 points, grid 3: -15. Total -7.
        assert line(driver(self.w, "sainz")) == (8, 0, -15, 0, 0, -7)

    def test_tsunoda_retired(self) -> None:
        # Qualifying P12: 0. Race R: -20.
        assert line(driver(self.w, "tsunoda")) == (0, 0, -20, 0, 0, -20)

    def test_mercedes_with_a_pit_lane_start(self) -> None:
        # Russell: qualifying P5 6; race P3 (15) from 5: +2 -> 17. Hamilton 4 and 13
        # (not doubled for a constructor). Sums 10 / 30; both in Q3: +10 -> 50.
        assert line(constructor(self.w, "mercedes")) == (10, 0, 30, 10, 0, 50)

    def test_mclaren_one_in_q3(self) -> None:
        # Piastri: qualifying P2 9; race P1 (25) from 2: +1 -> 26. Norris 0 and 33.
        # Sums 9 / 59; one car in Q3: +5 -> 73.
        assert line(constructor(self.w, "mclaren")) == (9, 0, 59, 5, 0, 73)

    def test_alpine_neither_leaves_q1(self) -> None:
        # Gasly: qualifying P20 0; race P12 (0) from 18: +6. Ocon 0 and 5.
        # Sums 0 / 11; neither car left Q1: -1 -> 10.
        assert line(constructor(self.w, "alpine")) == (0, 0, 11, -1, 0, 10)

    def test_a_whole_team(self) -> None:
        lineup = Lineup(
            drivers=("hamilton", "norris", "piastri", "sainz", "ocon"),
            captain="hamilton",
            constructors=("mercedes", "alpine"),
        )
        score = score_team(GRAND_PRIX, self.w, lineup)
        # Piastri: qualifying 9 + race 26 = 35. Drivers 34 + 33 + 35 - 7 + 5 = 100;
        # constructors 50 + 10 = 60. Team 160.
        assert score.asset("piastri").points == 35
        assert [a.kind for a in score.assets] == ["driver"] * 5 + ["constructor"] * 2
        assert score.points == 160


def test_qualifying_and_sprint_penalties() -> None:
    w = Weekend(
        qualifying=(
            QualifyingResult("a", "x", 1, 3),
            QualifyingResult("b", "x", 19, 1, time_set=False),
            QualifyingResult("c", "y", 20, 1, disqualified=True),
        ),
        sprint=(
            Result("a", "x", 1, "1", 1),
            Result("b", "x", 2, "D", 2),
            Result("c", "y", 3, "R"),
        ),
        race=(Result("a", "x", 1, "1"), Result("b", "x", 0, "W"), Result("c", "y", 0, "2")),
    )
    # a: qualifying P1 10; sprint P1 (8) from 1, fastest sprint lap +5 -> 13; race 25.
    assert line(driver(w, "a")) == (10, 13, 25, 0, 0, 48)
    # b: no Q1 time -5; sprint D -10; race W (never started): 0.
    assert line(driver(w, "b")) == (-5, -10, 0, 0, 0, -15)
    # c: qualifying DSQ -5; sprint R -10; race P2 (18) from the pit lane, last of the
    # two starters (b withdrew): 0 gained -> 18.
    assert line(driver(w, "c")) == (-5, -10, 18, 0, 0, 3)
    # x: one car in Q3 +5; y: its only car never left Q1 -1.
    assert constructor(w, "x").bonus == 5
    assert constructor(w, "y").bonus == -1


@pytest.mark.parametrize("name", ["shanghai", "spa", "baku"])
def test_classic_scores_as_the_classic_system(name: str) -> None:
    w = weekend(name)
    for row in w.race:
        for captain in (False, True):
            expected = classic_score_driver(
                CLASSIC_SYSTEM,
                driver_id=0,
                position_text=row.position_text,
                fastest_lap_rank=row.fastest_lap_rank,
                captain=captain,
            )
            found = score_driver(CLASSIC, w, row.driver, captain=captain)
            assert (found.qualifying, found.sprint) == (0, 0)
            assert found.points == expected.points, row


def test_classic_on_spa() -> None:
    w = weekend("spa")
    lineup = Lineup(
        drivers=("russell", "hamilton", "perez", "max_verstappen", "zhou"), captain="perez"
    )
    # Russell D: 0. Hamilton P1: 25. Perez P7 6 + fastest lap 5 = 11, doubled 22.
    # Verstappen P4: 12. Zhou R: 0. Team 59.
    assert score_team(CLASSIC, w, lineup).points == 59


def test_a_third_game_is_scored_from_its_data_alone() -> None:
    podium = Game(
        name="podium",
        title="Podium",
        summary="Three drivers; only the podium scores.",
        roster=RosterRules(drivers=3, constructors=0, budget=Decimal("50.0"), per_constructor=1),
        scoring=Scoring(race=SessionRules(position_points=(3, 2, 1)), captain_multiplier=3),
    )
    w = weekend("spa")
    lineup = Lineup(drivers=("hamilton", "piastri", "russell"), captain="piastri")
    # Hamilton P1 3; Piastri P2 2, tripled 6; Russell D 0 (no penalty in this game).
    score = score_team(podium, w, lineup)
    assert [a.points for a in score.assets] == [3, 6, 0]
    assert score.points == 9


def test_chips_and_the_transfer_penalty() -> None:
    assert GRAND_PRIX.market is not None
    chips = {c.name: c for c in GRAND_PRIX.market.chips}
    w = weekend("shanghai")
    team = Lineup(("alonso", "max_verstappen", "hamilton"), "hamilton", ("red_bull",))
    plain = score_team(GRAND_PRIX, w, team, penalty=-10)
    # Hamilton 18 as captain: +18; Verstappen 46; Alonso 3; the penalty -10 a line apart.
    assert plain.asset("hamilton").captain == 18 and plain.penalty == -10
    boosted = score_team(GRAND_PRIX, w, team, chip=chips["extra_boost"], penalty=-10)
    # Extra Boost: Hamilton x 3, so +36 instead of +18.
    assert boosted.points == plain.points + 18 and boosted.asset("hamilton").captain == 36
    # Wildcard and Limitless drop the penalty; nothing else changes.
    for name in ("wildcard", "limitless"):
        free = score_team(GRAND_PRIX, w, team, chip=chips[name], penalty=-10)
        assert (free.points, free.penalty) == (plain.points + 10, 0)
    # No Negative: Alonso's sprint -17 counts 0 (8 + 0 + 12 = 20); the penalty stays.
    safe = score_team(GRAND_PRIX, w, team, chip=chips["no_negative"], penalty=-10)
    assert line(safe.asset("alonso")) == (8, 0, 12, 0, 0, 20) and safe.penalty == -10
    assert safe.points == plain.points + 17
    # Autopilot: Verstappen's 46 is the best, so his is doubled instead of Hamilton's 18.
    auto = score_team(GRAND_PRIX, w, team, chip=chips["autopilot"])
    assert auto.captain == "max_verstappen" and auto.asset("max_verstappen").captain == 46
    assert auto.asset("hamilton").captain == 0 and auto.points == plain.points + 10 + 46 - 18

"""Rescoring races in the database against hand-worked real cases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.scoring.factories import (
    BELGIUM,
    BELGIUM_LOCK,
    SINGAPORE,
    SINGAPORE_LOCK,
    World,
)
from webapp.errors import AppError
from webapp.models import (
    Driver,
    Race,
    RaceDriverScore,
    RaceStatus,
    Team,
    TeamRaceScore,
)
from webapp.pipeline import rescore_race
from webapp.scoring.queries import team_scores
from webapp.scoring.rescore import ScoreChange, rescore_scores
from webapp.scoring.systems import CLASSIC, score_driver

BEFORE_BELGIUM = BELGIUM_LOCK - timedelta(days=2)
BETWEEN = BELGIUM_LOCK + timedelta(days=10)
AFTER_SINGAPORE = SINGAPORE_LOCK + timedelta(minutes=1)


async def race_points(race: Race) -> dict[str, int]:
    rows = await TeamRaceScore.filter(race=race).select_related("team")
    return {row.team.name: row.points for row in rows}


async def entries(race: Race, team: Team) -> list[dict]:
    """The team's breakdown for the race, as the scores API and the team page read it."""
    scores = await team_scores(team_id=team.id, now=datetime(2100, 1, 1, tzinfo=UTC))
    (score,) = [s for s in scores if s.race.id == race.id]
    return [entry.as_dict() for entry in score.entries]


async def breakdown(race: Race, team: Team) -> dict[str, dict]:
    codes = {d.id: d.code for d in await Driver.all()}
    return {codes[entry["driver_id"]]: entry for entry in await entries(race, team)}


async def season_points(*teams: Team) -> list[int]:
    return [(await Team.get(id=t.id)).points for t in teams]


@pytest.fixture
async def season(world: World) -> dict:
    """Belgium and Singapore with four teams whose points are worked out by hand below."""
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    alpha = await world.team("Alpha")
    bravo = await world.team("Bravo")
    charlie = await world.team("Charlie")
    delta = await world.team("Delta")
    await world.lineup(
        alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=BEFORE_BELGIUM
    )
    await world.lineup(
        bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=BEFORE_BELGIUM
    )
    # Charlie's first lineup is saved after Belgium locked: it scores from Singapore on.
    await world.lineup(
        charlie,
        ["HUL", "RIC", "ALB", "OCO", "LEC"],
        captain="HUL",
        saved_at=BELGIUM_LOCK + timedelta(seconds=1),
    )
    # Delta changes its lineup between the races; each race scores the lineup before its lock.
    await world.lineup(
        delta, ["VER", "NOR", "LEC", "ALO", "OCO"], captain="VER", saved_at=BEFORE_BELGIUM
    )
    await world.lineup(delta, ["RIC", "HUL", "ALB", "ALO", "PER"], captain="RIC", saved_at=BETWEEN)
    # Saved after Singapore locked: counts for neither race.
    await world.lineup(
        delta, ["HAM", "RUS", "LEC", "SAI", "NOR"], captain="HAM", saved_at=AFTER_SINGAPORE
    )
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    return {
        "belgium": belgium,
        "singapore": singapore,
        "alpha": alpha,
        "bravo": bravo,
        "charlie": charlie,
        "delta": delta,
        "world": world,
    }


async def test_belgium_disqualified_winner_and_captains(season: dict) -> None:
    result = await rescore_race(race_id=season["belgium"].id)
    # Alpha: RUS captain, disqualified with the fastest lap: 0; HAM 25; PIA 18; ZHO R 0;
    # RIC P10 1 -> 44. Bravo: HAM captain 25x2=50; VER P4 12; NOR P5 10; SAI P6 8; PER P7 6
    # -> 86. Delta: VER captain P4 12x2=24; NOR 10; LEC P3 15; ALO P8 4; OCO P9 2 -> 55.
    assert await race_points(season["belgium"]) == {"Alpha": 44, "Bravo": 86, "Delta": 55}
    ids = {code: driver.id for code, driver in season["world"].drivers.items()}
    assert await breakdown(season["belgium"], season["alpha"]) == {
        "RUS": {
            "driver_id": ids["RUS"],
            "captain": True,
            "position_points": 0,
            "bonus_points": 0,
            "multiplier": 2,
            "points": 0,
        },
        "HAM": {
            "driver_id": ids["HAM"],
            "captain": False,
            "position_points": 25,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 25,
        },
        "PIA": {
            "driver_id": ids["PIA"],
            "captain": False,
            "position_points": 18,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 18,
        },
        "ZHO": {
            "driver_id": ids["ZHO"],
            "captain": False,
            "position_points": 0,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 0,
        },
        "RIC": {
            "driver_id": ids["RIC"],
            "captain": False,
            "position_points": 1,
            "bonus_points": 0,
            "multiplier": 1,
            "points": 1,
        },
    }
    assert sorted((c.team_id, c.old_points, c.new_points) for c in result.changes) == [
        (season["alpha"].id, None, 44),
        (season["bravo"].id, None, 86),
        (season["delta"].id, None, 55),
    ]
    # Charlie had no lineup before the lock: no score, season total untouched.
    assert await season_points(season["alpha"], season["charlie"], season["delta"]) == [44, 0, 55]


async def test_singapore_fastest_lap_outside_points_and_classified_retirement(
    season: dict,
) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    # Alpha: RUS captain P4 12x2=24; HAM P6 8; PIA P3 15; ZHO W 0; RIC P18 + fastest lap 5
    # -> 52. Bravo: HAM captain P6 8x2=16; VER P2 18; NOR P1 25; SAI P7 6; PER P10 1 -> 66.
    # Charlie: HUL captain, P9 though "Retired", 2x2=4; RIC 5; ALB R 0; OCO N 0; LEC P5 10
    # -> 19. Delta's second lineup: RIC captain (0+5)x2=10; HUL 2; ALB 0; ALO P8 4; PER 1 -> 17.
    assert await race_points(season["singapore"]) == {
        "Alpha": 52,
        "Bravo": 66,
        "Charlie": 19,
        "Delta": 17,
    }
    ric = (await breakdown(season["singapore"], season["delta"]))["RIC"]
    assert (ric["position_points"], ric["bonus_points"], ric["multiplier"], ric["points"]) == (
        0,
        5,
        2,
        10,
    )
    assert await season_points(
        season["alpha"], season["bravo"], season["charlie"], season["delta"]
    ) == [44 + 52, 86 + 66, 19, 55 + 17]


async def test_database_agrees_with_the_pure_rules(season: dict) -> None:
    await rescore_race(race_id=season["singapore"].id)
    texts = {code: (text, fastest) for code, text, _, fastest in SINGAPORE}
    for row in await TeamRaceScore.filter(race=season["singapore"]).prefetch_related(
        "lineup__drivers__driver", "race", "team"
    ):
        codes = {ld.driver.id: ld.driver.code for ld in row.lineup.drivers}
        expected = [
            score_driver(
                CLASSIC,
                driver_id=driver_id,
                position_text=texts[codes[driver_id]][0],
                fastest_lap_rank=texts[codes[driver_id]][1],
                captain=driver_id == row.lineup.captain_id,  # type: ignore[attr-defined]
            ).as_dict()
            for driver_id in sorted(codes)
        ]
        assert sorted(await entries(row.race, row.team), key=lambda e: e["driver_id"]) == expected
        assert row.points == sum(entry["points"] for entry in expected)


async def test_rescoring_twice_changes_nothing(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    before = await TeamRaceScore.all().order_by("id").values()
    again = await rescore_race(race_id=season["belgium"].id)
    assert again.changes == []
    assert await TeamRaceScore.all().order_by("id").values() == before
    assert await season_points(season["alpha"], season["bravo"]) == [44, 86]


async def test_changed_result_reports_old_and_new_points(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    # The stewards reinstate Russell as the winner and everyone behind drops a place.
    corrected = [("RUS", "1", "Finished", 1)] + [
        (code, str(int(text) + 1) if text.isdigit() else text, status, None)
        for code, text, status, _ in BELGIUM
        if code != "RUS"
    ]
    await season["world"].results(season["belgium"], corrected)
    result = await rescore_race(race_id=season["belgium"].id)
    # Alpha: RUS captain (25+5)x2=60; HAM P2 18; PIA P3 15; ZHO 0; RIC P11 0 -> 93.
    # Bravo: HAM captain 18x2=36; VER P5 10; NOR P6 8; SAI P7 6; PER P8 4 -> 64.
    # Delta: VER captain 10x2=20; NOR 8; LEC P4 12; ALO P9 2; OCO P10 1 -> 43.
    owners = {t.id: t.owner_id for t in await Team.all()}  # type: ignore[attr-defined]
    assert sorted(result.changes, key=lambda c: c.team_id) == [
        ScoreChange(season["alpha"].id, owners[season["alpha"].id], 44, 93),
        ScoreChange(season["bravo"].id, owners[season["bravo"].id], 86, 64),
        ScoreChange(season["delta"].id, owners[season["delta"].id], 55, 43),
    ]
    assert await season_points(season["alpha"], season["bravo"], season["delta"]) == [93, 64, 43]
    # The race's breakdown lines are those of the corrected results.
    versions = await RaceDriverScore.filter(race=season["belgium"]).values_list(
        "result_version", flat=True
    )
    assert set(versions) == {2}


async def test_moving_the_lock_earlier_changes_which_lineup_counts(season: dict) -> None:
    await rescore_race(race_id=season["singapore"].id)
    singapore: Race = season["singapore"]
    # An admin moves the deadline before Delta's change: its first lineup counts, and
    # Charlie (whose only lineup came later) no longer scores for this race.
    singapore.lock_at = BELGIUM_LOCK
    await singapore.save(update_fields=["lock_at"])
    result = await rescore_race(race_id=singapore.id)
    # Delta's first lineup in Singapore: VER captain 18x2=36; NOR 25; LEC 10; ALO 4; OCO 0 -> 75.
    assert await race_points(singapore) == {"Alpha": 52, "Bravo": 66, "Delta": 75}
    assert result.removed_team_ids == [season["charlie"].id]
    assert await season_points(season["charlie"], season["delta"]) == [0, 75]


async def test_cancelled_race_removes_its_scores(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    belgium: Race = season["belgium"]
    belgium.status = RaceStatus.CANCELLED
    await belgium.save(update_fields=["status"])
    result = await rescore_race(race_id=belgium.id)
    assert await race_points(belgium) == {}
    assert result.changes == []
    assert sorted(result.removed_team_ids) == sorted(
        [season["alpha"].id, season["bravo"].id, season["delta"].id]
    )
    assert await season_points(season["alpha"], season["bravo"], season["delta"]) == [52, 66, 17]


async def test_race_without_results_scores_nothing(world: World) -> None:
    race = await world.race("Monaco Grand Prix", lock_at=BELGIUM_LOCK)
    team = await world.team("Echo")
    await world.lineup(
        team, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=BEFORE_BELGIUM
    )
    result = await rescore_race(race_id=race.id)
    assert (result.changes, await TeamRaceScore.all().count()) == ([], 0)


async def test_unknown_race_is_not_found(world: World) -> None:
    with pytest.raises(AppError) as caught:
        await rescore_race(race_id=999)
    assert caught.value.status == 404


async def test_overlapping_runs_give_correct_totals(season: dict) -> None:
    runs = [
        rescore_race(race_id=season["belgium"].id),
        rescore_race(race_id=season["belgium"].id),
        rescore_race(race_id=season["singapore"].id),
        rescore_race(race_id=season["singapore"].id),
    ]
    results = await asyncio.gather(*runs)
    # Each team's first score for each race is reported exactly once across the runs.
    reported = sorted((r.race_id, c.team_id) for r in results for c in r.changes)
    assert len(reported) == len(set(reported)) == 3 + 4
    assert await season_points(
        season["alpha"], season["bravo"], season["charlie"], season["delta"]
    ) == [96, 152, 19, 72]


async def test_a_season_with_many_drivers_scores_every_one(world: World) -> None:
    # Past 63 drivers the lineup key spills into its second mask; nothing else changes.
    await world.add_drivers(70)
    race = await world.race("Reserve Grand Prix", lock_at=BELGIUM_LOCK)
    team = await world.team("Reserves")
    await world.lineup(
        team, ["X70", "X66", "HAM", "X01", "X50"], captain="X70", saved_at=BEFORE_BELGIUM
    )
    await world.results(
        race,
        [
            ("X70", "1", "Finished", 1),
            ("X66", "2", "Finished", None),
            ("HAM", "3", "Finished", None),
            ("X50", "R", "Retired", None),
        ],
    )
    await rescore_race(race_id=race.id)
    # X70 captain (25+5)x2=60; X66 18; HAM 15; X01 no result 0; X50 R 0 -> 93.
    assert await race_points(race) == {"Reserves": 93}
    assert sorted(e["points"] for e in await entries(race, team)) == [
        0,
        0,
        15,
        18,
        60,
    ]


async def test_classic_rescoring_leaves_other_games_teams_alone(season: dict) -> None:
    world: World = season["world"]
    # The same drivers as Bravo, but the team plays the Grand Prix game.
    other = await world.team("Golf", game="grand_prix")
    await world.lineup(
        other, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=BEFORE_BELGIUM
    )
    result = await rescore_scores(race_id=season["belgium"].id, system="classic")
    assert other.id not in result.touched_team_ids
    assert await race_points(season["belgium"]) == {"Alpha": 44, "Bravo": 86, "Delta": 55}
    assert await TeamRaceScore.filter(team=other, scoring_system="classic").count() == 0
    assert await season_points(other, season["bravo"]) == [0, 86]


async def test_deleting_a_team_or_a_race_deletes_its_scores(season: dict) -> None:
    # Scores keep no foreign keys (each cost a lookup per row written); triggers cascade.
    await rescore_race(race_id=season["belgium"].id)
    await rescore_race(race_id=season["singapore"].id)
    assert await TeamRaceScore.filter(team=season["alpha"]).count() == 2
    await Team.filter(id=season["alpha"].id).delete()
    assert await TeamRaceScore.filter(team_id=season["alpha"].id).count() == 0
    assert await TeamRaceScore.filter(race=season["belgium"]).count() == 2  # Bravo, Delta
    await Race.filter(id=season["belgium"].id).delete()
    assert await TeamRaceScore.filter(race_id=season["belgium"].id).count() == 0
    assert await TeamRaceScore.filter(race=season["singapore"]).count() == 3


async def test_a_correction_rewrites_only_the_scores_it_moves(season: dict) -> None:
    await rescore_race(race_id=season["belgium"].id)
    before = {
        row.team_id: row.updated_at for row in await TeamRaceScore.filter(race=season["belgium"])
    }
    # The fastest lap moves from the disqualified Russell (it scored nothing) to Ocon.
    fastest = {"RUS": None, "OCO": 1}
    corrected = [
        (code, text, status, fastest.get(code, rank)) for code, text, status, rank in BELGIUM
    ]
    await season["world"].results(season["belgium"], corrected)
    result = await rescore_race(race_id=season["belgium"].id)
    after = {
        row.team_id: row.updated_at for row in await TeamRaceScore.filter(race=season["belgium"])
    }
    # Only Delta holds Ocon: 55 + 5.
    assert [(c.team_id, c.old_points, c.new_points) for c in result.changes] == [
        (season["delta"].id, 55, 60)
    ]
    assert [change.team_id for change in result.changes] == [season["delta"].id]
    assert sorted(result.touched_team_ids) == [season["delta"].id]
    assert after[season["alpha"].id] == before[season["alpha"].id]
    assert after[season["bravo"].id] == before[season["bravo"].id]
    assert after[season["delta"].id] > before[season["delta"].id]

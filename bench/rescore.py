"""Benchmark: rescore one race for N generated teams, beside a hand-written INSERT … SELECT."""

from __future__ import annotations

import argparse
import asyncio

from tortoise import connections

from bench.common import bench_services, print_table, timed
from bench.generate import generate
from webapp.leaderboards.refresh import refresh_after_rescore
from webapp.scoring.rescore import rescore_scores

# The baseline: the classic rules written straight into one statement, nothing else
# (no change detection, no season totals, no parameters).
BASELINE_SQL = """
INSERT INTO team_race_scores
    (team_id, race_id, scoring_system, lineup_id, points, result_version, updated_at)
SELECT c.team_id, r.id, 'classic', c.lineup_id, SUM(x.points)::int, r.results_version, now()
FROM races r
JOIN (
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id AS lineup_id, l.captain_id
    FROM lineups l JOIN teams t ON t.id = l.team_id
    JOIN races r2 ON r2.id = $1 AND t.season_id = r2.season_id AND l.saved_at < r2.lock_at
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
) c ON true
JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
LEFT JOIN race_results rr
  ON rr.race_id = r.id AND rr.version = r.results_version AND rr.driver_id = ld.driver_id
CROSS JOIN LATERAL (
    SELECT (pp + bp) * m AS points FROM (SELECT
        CASE rr.position_text WHEN '1' THEN 25 WHEN '2' THEN 18 WHEN '3' THEN 15
            WHEN '4' THEN 12 WHEN '5' THEN 10 WHEN '6' THEN 8 WHEN '7' THEN 6 WHEN '8' THEN 4
            WHEN '9' THEN 2 WHEN '10' THEN 1 ELSE 0 END AS pp,
        CASE WHEN rr.fastest_lap_rank = 1 AND rr.position_text <> 'D' THEN 5 ELSE 0 END AS bp,
        CASE WHEN ld.driver_id = c.captain_id THEN 2 ELSE 1 END AS m) v
) x
WHERE r.id = $1
GROUP BY c.team_id, c.lineup_id, r.id
"""
CHECKSUM_SQL = """
SELECT count(*) AS rows, COALESCE(sum(points), 0) AS points,
       COALESCE(sum(hashtext(team_id || ':' || lineup_id || ':' || points)::bigint), 0) AS hash
FROM team_race_scores WHERE race_id = $1
"""
# Teams whose breakdown (their lineup's drivers' entries for the race) does not add up.
BREAKDOWNS_BAD_SQL = """
SELECT count(*) AS bad FROM team_race_scores s
JOIN lineups l ON l.id = s.lineup_id
WHERE s.race_id = $1 AND s.points <> (
    SELECT COALESCE(sum(e.points), 0) FROM lineup_drivers ld
    JOIN race_driver_scores e ON e.race_id = s.race_id AND e.scoring_system = s.scoring_system
     AND e.driver_id = ld.driver_id AND e.captain = (ld.driver_id = l.captain_id)
    WHERE ld.lineup_id = l.id)
"""
TOTALS_OK_SQL = """
SELECT count(*) AS bad FROM teams t
WHERE t.points <> COALESCE((SELECT sum(points) FROM team_race_scores s
                            WHERE s.team_id = t.id AND s.scoring_system = 'classic'), 0)
"""
# A correction: the drivers classified 1st and 2nd swap places.
CORRECTION_SQL = """
INSERT INTO race_results (race_id, version, driver_id, constructor_id, position, position_text,
    position_order, grid, laps, status, fastest_lap_rank, points)
SELECT race_id, version + 1, driver_id, constructor_id,
       CASE position WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE position END,
       CASE position_text WHEN '1' THEN '2' WHEN '2' THEN '1' ELSE position_text END,
       position_order, grid, laps, status, fastest_lap_rank, points
FROM race_results WHERE race_id = $1 AND version = 1
"""


async def checksum(race_id: int) -> tuple[int, int, int]:
    """Return (rows, points, hash of every row) of a race's scores."""
    row = (await connections.get("default").execute_query_dict(CHECKSUM_SQL, [race_id]))[0]
    return int(row["rows"]), int(row["points"]), int(row["hash"])


async def run(teams: int) -> list[list[object]]:
    """Generate `teams` teams, time baseline and rescoring, and return table rows."""
    conn = connections.get("default")
    made = await generate(teams=teams, league_size=min(teams, 10_000))
    race = made.race_id
    print(f"generated {teams:,} teams, {made.lineups:,} lineups in {made.seconds:.1f} s")
    rows: list[list[object]] = []

    def row(what: str, seconds: float, note: str = "") -> None:
        rows.append([f"{teams:,}", what, f"{seconds:.2f}", f"{teams / seconds:,.0f}", note])

    # Each timed statement starts after a checkpoint, so none pays for an earlier one's
    # writes being flushed while it runs.
    await conn.execute_script("CHECKPOINT")
    _, base_s = await timed(lambda: conn.execute_query(BASELINE_SQL, [race]))
    expected = await checksum(race)
    row("baseline: one hand-written INSERT … SELECT", base_s, f"{expected[0]:,} scores")
    await conn.execute_script("TRUNCATE team_race_scores")
    await conn.execute_script("VACUUM ANALYZE team_race_scores")

    await conn.execute_script("CHECKPOINT")
    first, first_s = await timed(lambda: rescore_scores(race_id=race))
    got = await checksum(race)
    same = "identical to baseline" if got == expected else f"DIFFERENT: {got} vs {expected}"
    row("rescore_race, first scoring (scores + totals)", first_s, same)
    _, board_s = await timed(lambda: refresh_after_rescore(first))
    row("  then leaderboards (full build)", board_s, f"{len(first.changes):,} changes")
    await conn.execute_script("CHECKPOINT")
    again, again_s = await timed(lambda: rescore_scores(race_id=race))
    row("rescore_race again, nothing changed", again_s, f"{len(again.changes)} changes")

    await conn.execute_query(CORRECTION_SQL, [race])
    await conn.execute_query("UPDATE races SET results_version = 2 WHERE id = $1", [race])
    await conn.execute_script("CHECKPOINT")
    fixed, fixed_s = await timed(lambda: rescore_scores(race_id=race))
    row("rescore_race after a correction (P1/P2 swap)", fixed_s, f"{len(fixed.changes):,} changes")
    _, board2_s = await timed(lambda: refresh_after_rescore(fixed))
    row("  then leaderboards", board2_s, "")
    bad = (await conn.execute_query_dict(TOTALS_OK_SQL))[0]["bad"]
    print(f"season totals equal the sum of race scores: {'yes' if bad == 0 else f'NO ({bad})'}")
    wrong = (await conn.execute_query_dict(BREAKDOWNS_BAD_SQL, [race]))[0]["bad"]
    print(f"every breakdown adds up to its score: {'yes' if wrong == 0 else f'NO ({wrong})'}")
    if got != expected or bad or wrong:
        raise SystemExit("rescoring disagrees with the baseline")
    return rows


async def main(teams: int) -> None:
    """Run the rescoring benchmark for `teams` teams on a fresh database."""
    async with bench_services(fresh=True):
        rows = await run(teams)
    print()
    print_table(["teams", "run", "seconds", "teams/s", "note"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.teams))

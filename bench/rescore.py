"""Benchmark: rescore one race for N teams of each game, beside a hand-written INSERT … SELECT."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Awaitable

from tortoise import connections
from tortoise.transactions import in_transaction

from bench.common import bench_services, print_table, timed
from bench.generate import CHIPS_SQL, MARKET_SQL, generate
from webapp.games import registry
from webapp.games.model import Market
from webapp.games.rescoring import rescore_game
from webapp.leaderboards.refresh import refresh_after_rescore
from webapp.scoring.rescore import RescoreResult

# The baseline: the classic rules written straight into one statement, nothing else
# (no change detection, no season totals, no parameters).
BASELINE_SQL = """
INSERT INTO team_race_scores
    (team_id, race_id, scoring_system, lineup_id, points, updated_at)
SELECT c.team_id, r.id, 'classic', c.lineup_id, SUM(x.points)::int, now()
FROM races r
JOIN (
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id AS lineup_id, l.captain_id
    FROM lineups l JOIN teams t ON t.id = l.team_id
    JOIN races r2 ON r2.id = $1 AND t.season_id = r2.season_id AND l.saved_at < r2.lock_at
    WHERE t.game = 'classic'
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
# The Grand Prix rules spelled out for the generated weekend: each driver's and each
# constructor's weekend points in a few dozen rows, then the lineups summed over them.
GRAND_PRIX_BASELINE_SQL = """
WITH r AS (SELECT * FROM races WHERE id = $1),
q AS (
    SELECT s.driver_id, s.constructor_id, s.reached,
           CASE WHEN s.disqualified OR s.reached = 0 THEN -5
                WHEN s.position <= 10 THEN 11 - s.position ELSE 0 END AS points
    FROM session_results s JOIN r ON s.race_id = r.id AND s.version = r.results_version
    WHERE s.session = 'qualifying'
),
sp AS (
    SELECT s.driver_id, s.constructor_id,
           CASE WHEN s.position_text = 'D' THEN -10
                ELSE CASE WHEN s.fastest_lap_rank = 1 THEN 5 ELSE 0 END
                   + CASE WHEN s.position_text ~ '^[0-9]+$' THEN
                          GREATEST(9 - s.position_text::int, 0)
                          + CASE WHEN s.grid > 0 THEN s.grid
                                 ELSE count(*) FILTER (WHERE s.position_text NOT IN ('W', 'F'))
                                          OVER () END - s.position_text::int
                          WHEN s.position_text IN ('R', 'N') THEN -10 ELSE 0 END END AS points
    FROM session_results s JOIN r ON s.race_id = r.id AND s.version = r.results_version
    WHERE s.session = 'sprint'
),
ra AS (
    SELECT x.driver_id, x.constructor_id,
           CASE WHEN x.position_text = 'D' THEN -25
                ELSE CASE WHEN x.fastest_lap_rank = 1 THEN 10 ELSE 0 END
                   + CASE WHEN x.position_text ~ '^[0-9]+$' THEN
                          CASE x.position_text WHEN '1' THEN 25 WHEN '2' THEN 18 WHEN '3' THEN 15
                              WHEN '4' THEN 12 WHEN '5' THEN 10 WHEN '6' THEN 8 WHEN '7' THEN 6
                              WHEN '8' THEN 4 WHEN '9' THEN 2 WHEN '10' THEN 1 ELSE 0 END
                          + CASE WHEN x.grid > 0 THEN x.grid
                                 ELSE count(*) FILTER (WHERE x.position_text NOT IN ('W', 'F'))
                                          OVER () END - x.position_text::int
                          WHEN x.position_text IN ('R', 'N') THEN -20 ELSE 0 END END AS points,
           CASE WHEN x.position_text <> 'D' AND x.driver_id = r.driver_of_the_day_id
                THEN 10 ELSE 0 END AS dotd
    FROM race_results x JOIN r ON x.race_id = r.id AND x.version = r.results_version
),
drv AS MATERIALIZED (
    SELECT d.id,
           COALESCE((SELECT sum(points) FROM q WHERE q.driver_id = d.id), 0) AS qp,
           COALESCE((SELECT sum(points) FROM sp WHERE sp.driver_id = d.id), 0) AS spp,
           COALESCE((SELECT sum(points + dotd) FROM ra WHERE ra.driver_id = d.id), 0) AS rap
    FROM drivers d JOIN r ON d.season_id = r.season_id
),
con AS MATERIALIZED (
    SELECT c.id,
           COALESCE((SELECT sum(points) FROM q WHERE q.constructor_id = c.id), 0) AS qp,
           COALESCE((SELECT sum(points) FROM sp WHERE sp.constructor_id = c.id), 0) AS spp,
           COALESCE((SELECT sum(points) FROM ra WHERE ra.constructor_id = c.id), 0) AS rap,
           COALESCE((SELECT CASE WHEN count(*) FILTER (WHERE reached = 3) >= 2 THEN 10
                                 WHEN count(*) FILTER (WHERE reached = 3) = 1 THEN 5
                                 WHEN count(*) FILTER (WHERE reached = 2) >= 2 THEN 3
                                 WHEN count(*) FILTER (WHERE reached = 2) = 1 THEN 1
                                 ELSE -1 END
                     FROM q WHERE q.constructor_id = c.id HAVING count(*) > 0), 0) AS bonus
    FROM constructors c JOIN r ON c.season_id = r.season_id
),
-- The chips, spelled out: Extra Boost x3, Wildcard and Limitless drop the penalty,
-- No Negative zeroes negative lines, Autopilot doubles the best driver.
c AS (
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id AS lineup_id, l.captain_id, ch.chip,
           CASE WHEN l.race_id = r.id AND ch.chip IS DISTINCT FROM 'wildcard'
                 AND ch.chip IS DISTINCT FROM 'limitless' THEN l.penalty_points
                ELSE 0 END AS penalty
    FROM lineups l JOIN teams t ON t.id = l.team_id
    JOIN r ON t.season_id = r.season_id AND l.saved_at < r.lock_at
    LEFT JOIN team_chips ch ON ch.team_id = l.team_id AND ch.race_id = r.id
    WHERE t.game = 'grand_prix'
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
),
ap AS (
    SELECT DISTINCT ON (c.lineup_id) c.lineup_id, ld.driver_id
    FROM c JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id JOIN drv ON drv.id = ld.driver_id
    WHERE c.chip = 'autopilot'
    ORDER BY c.lineup_id, drv.qp + drv.spp + drv.rap DESC, ld.driver_id = c.captain_id DESC,
             ld.driver_id
)
INSERT INTO team_race_scores
    (team_id, race_id, scoring_system, lineup_id, points, updated_at)
SELECT c.team_id, r.id, 'grand_prix', c.lineup_id,
       (COALESCE(ds.points, 0) + COALESCE(cs.points, 0) + c.penalty)::int, now()
FROM c CROSS JOIN r
LEFT JOIN (SELECT ld.lineup_id,
                  sum(CASE WHEN c.chip = 'no_negative'
                           THEN GREATEST(drv.qp, 0) + GREATEST(drv.spp, 0) + GREATEST(drv.rap, 0)
                           ELSE drv.qp + drv.spp + drv.rap END
                      * CASE WHEN ld.driver_id = COALESCE(ap.driver_id, c.captain_id)
                             THEN CASE WHEN c.chip = 'extra_boost' THEN 3 ELSE 2 END
                             ELSE 1 END) AS points
           FROM c JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
           LEFT JOIN ap ON ap.lineup_id = c.lineup_id
           JOIN drv ON drv.id = ld.driver_id GROUP BY ld.lineup_id) ds
  ON ds.lineup_id = c.lineup_id
LEFT JOIN (SELECT lc.lineup_id,
                  sum(CASE WHEN c.chip = 'no_negative'
                           THEN GREATEST(con.qp, 0) + GREATEST(con.spp, 0)
                                + GREATEST(con.rap, 0) + GREATEST(con.bonus, 0)
                           ELSE con.qp + con.spp + con.rap + con.bonus END) AS points
           FROM c JOIN lineup_constructors lc ON lc.lineup_id = c.lineup_id
           JOIN con ON con.id = lc.constructor_id GROUP BY lc.lineup_id) cs
  ON cs.lineup_id = c.lineup_id
"""
# What a lineup snapshot taken at lock would save at most: finding each team's lineup saved
# last before the lock, which every rescoring does now.
CHOOSE_LINEUPS_SQL = """
SELECT count(*) AS n FROM (
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id, l.captain_id
    FROM lineups l JOIN teams t ON t.id = l.team_id
    JOIN races r ON r.id = $1 AND t.season_id = r.season_id AND l.saved_at < r.lock_at
    WHERE t.game = $2
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
) c
"""
MARKET_MIX_SQL = """
SELECT (SELECT count(*) FROM team_chips WHERE race_id = $1) AS chips,
       (SELECT count(DISTINCT team_id) FROM lineups WHERE penalty_points <> 0) AS paid
"""
BASELINES = {"classic": BASELINE_SQL, "grand_prix": GRAND_PRIX_BASELINE_SQL}
# Lineups hold constructors in these games.
CONSTRUCTORS = {"grand_prix": 2}
CHECKSUM_SQL = """
SELECT count(*) AS rows, COALESCE(sum(points), 0) AS points,
       COALESCE(sum(hashtext(team_id || ':' || lineup_id || ':' || points)::bigint), 0) AS hash
FROM team_race_scores WHERE race_id = $1
"""
# Teams whose breakdown (their lineup's drivers' entries for the race) does not add up.
BREAKDOWNS_BAD_SQL = {
    "classic": """
SELECT count(*) AS bad FROM team_race_scores s
JOIN lineups l ON l.id = s.lineup_id
WHERE s.race_id = $1 AND s.points <> (
    SELECT COALESCE(sum(e.points), 0) FROM lineup_drivers ld
    JOIN race_driver_scores e ON e.race_id = s.race_id AND e.scoring_system = s.scoring_system
     AND e.driver_id = ld.driver_id AND e.captain = (ld.driver_id = l.captain_id)
    WHERE ld.lineup_id = l.id)
""",
    # Without a chip the lines are the stored ones; the penalty is a line of its own.
    "grand_prix": """
SELECT count(*) AS bad FROM team_race_scores s
JOIN lineups l ON l.id = s.lineup_id
WHERE s.race_id = $1 AND s.chip IS NULL AND s.points - s.penalty_points <> (
    SELECT COALESCE(sum(e.points), 0) FROM lineup_drivers ld
    JOIN race_asset_scores e ON e.race_id = s.race_id AND e.scoring_system = s.scoring_system
     AND e.driver_id = ld.driver_id AND e.captain = (ld.driver_id = l.captain_id)
    WHERE ld.lineup_id = l.id) + (
    SELECT COALESCE(sum(e.points), 0) FROM lineup_constructors lc
    JOIN race_asset_scores e ON e.race_id = s.race_id AND e.scoring_system = s.scoring_system
     AND e.constructor_id = lc.constructor_id
    WHERE lc.lineup_id = l.id)
""",
}
TOTALS_OK_SQL = """
SELECT count(*) AS bad FROM teams t
WHERE t.points <> COALESCE((SELECT sum(points) FROM team_race_scores s
                            WHERE s.team_id = t.id AND s.scoring_system = t.game), 0)
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
# The correction is public like the feed's: the versions page compares it with the first.
CORRECTION_VERSION_SQL = """
INSERT INTO result_versions (race_id, version, content_hash, source, diff, created_at)
VALUES ($1, 2, 'bench-correction', 'manual', '{}', now())
"""
# The other sessions come along unchanged in the new version, as the feed stores them.
CORRECTION_SESSIONS_SQL = """
INSERT INTO session_results (race_id, version, session, driver_id, constructor_id, position,
    position_text, grid, fastest_lap_rank, reached, disqualified)
SELECT race_id, version + 1, session, driver_id, constructor_id, position, position_text, grid,
       fastest_lap_rank, reached, disqualified
FROM session_results WHERE race_id = $1 AND version = 1
"""


async def checksum(race_id: int) -> tuple[int, int, int]:
    """Return (rows, points, hash of every row) of a race's scores."""
    row = (await connections.get("default").execute_query_dict(CHECKSUM_SQL, [race_id]))[0]
    return int(row["rows"]), int(row["points"]), int(row["hash"])


async def run(teams: int, game: str) -> list[list[object]]:
    """Generate `teams` teams of `game`, time baseline and rescoring, and return table rows."""
    conn = connections.get("default")
    played = registry.get(game)
    made = await generate(
        teams=teams,
        league_size=min(teams, 10_000),
        game=game,
        constructors=CONSTRUCTORS.get(game, 0),
        market=played.market,
    )
    race = made.race_id
    print(f"{game}: generated {teams:,} teams, {made.lineups:,} lineups in {made.seconds:.1f} s")
    if played.market is not None:
        market = await conn.execute_query_dict(MARKET_MIX_SQL, [race])
        print(
            f"{game}: {market[0]['chips']:,} teams play a chip,"
            f" {market[0]['paid']:,} made a paid transfer"
        )
    rows: list[list[object]] = []

    def row(what: str, seconds: float, note: str = "") -> None:
        rows.append([game, f"{teams:,}", what, f"{seconds:.2f}", f"{teams / seconds:,.0f}", note])

    def rescore() -> Awaitable[RescoreResult]:
        return rescore_game(race_id=race, game=played)

    # Each timed statement starts after a checkpoint, so none pays for an earlier one's
    # writes being flushed while it runs.
    await conn.execute_script("CHECKPOINT")
    _, base_s = await timed(lambda: conn.execute_query(BASELINES[game], [race]))
    expected = await checksum(race)
    row("baseline: one hand-written INSERT … SELECT", base_s, f"{expected[0]:,} scores")
    await conn.execute_script("TRUNCATE team_race_scores")
    await conn.execute_script("VACUUM ANALYZE team_race_scores")

    await conn.execute_script("CHECKPOINT")
    first, first_s = await timed(rescore)
    got = await checksum(race)
    same = "identical to baseline" if got == expected else f"DIFFERENT: {got} vs {expected}"
    row("rescore_race, first scoring (scores + totals)", first_s, same)
    _, board_s = await timed(lambda: refresh_after_rescore(first))
    row("  then leaderboards", board_s, f"{len(first.changes):,} changes")
    await conn.execute_script("CHECKPOINT")
    again, again_s = await timed(rescore)
    row("rescore_race again, nothing changed", again_s, f"{len(again.changes)} changes")

    await conn.execute_query(CORRECTION_SQL, [race])
    await conn.execute_query(CORRECTION_SESSIONS_SQL, [race])
    await conn.execute_query(CORRECTION_VERSION_SQL, [race])
    await conn.execute_query("UPDATE races SET results_version = 2 WHERE id = $1", [race])
    await conn.execute_script("CHECKPOINT")
    fixed, fixed_s = await timed(rescore)
    row("rescore_race after a correction (P1/P2 swap)", fixed_s, f"{len(fixed.changes):,} changes")
    _, board2_s = await timed(lambda: refresh_after_rescore(fixed))
    row("  then leaderboards", board2_s, "")
    _, choose_s = await timed(lambda: conn.execute_query(CHOOSE_LINEUPS_SQL, [race, game]))
    row("choosing the lineups alone (a lock snapshot's saving)", choose_s, "at most")
    bad = (await conn.execute_query_dict(TOTALS_OK_SQL))[0]["bad"]
    wrong = (await conn.execute_query_dict(BREAKDOWNS_BAD_SQL[game], [race]))[0]["bad"]
    # The baseline once more, warm like the rescorings were: the ratio takes the faster one.
    await conn.execute_script("TRUNCATE team_race_scores")
    await conn.execute_script("CHECKPOINT")
    _, warm_s = await timed(lambda: conn.execute_query(BASELINES[game], [race]))
    row("baseline again (warm)", warm_s, "")
    ratio = first_s / min(base_s, warm_s)
    row("first scoring ÷ the faster baseline", first_s, f"{ratio:.2f} x baseline")
    if played.market is not None:
        # The same teams with no chip and no penalty, scored afresh: what the market costs.
        for sql in (
            "TRUNCATE team_race_scores",
            "TRUNCATE team_chips",
            "UPDATE teams SET points = 0",
            "UPDATE lineups SET penalty_points = 0",
            "VACUUM ANALYZE",
            "CHECKPOINT",
        ):
            await conn.execute_script(sql)
        _, plain_s = await timed(rescore)
        row("first scoring with no chip and no penalty", plain_s, "")
        # The chips and penalties back, scored afresh the same way: the fair pair.
        await restore_market(race=race, market=played.market)
        # The corrected version's baseline, to hold the second scoring to.
        await conn.execute_query(BASELINES[game], [race])
        corrected = await checksum(race)
        await conn.execute_script("TRUNCATE team_race_scores")
        await conn.execute_script("CHECKPOINT")
        _, again_s = await timed(rescore)
        with_market = await checksum(race)
        row("first scoring with them again, the same way", again_s, "identical to baseline")
        row("market ÷ none, same conditions", again_s, f"{again_s / plain_s:.2f} x")
        if with_market != corrected:
            raise SystemExit(f"{game}: the market's second scoring differs from the baseline")
    print(f"season totals equal the sum of race scores: {'yes' if bad == 0 else f'NO ({bad})'}")
    print(f"every breakdown adds up to its score: {'yes' if wrong == 0 else f'NO ({wrong})'}")
    if got != expected or bad or wrong:
        raise SystemExit(f"{game}: rescoring disagrees with the baseline")
    return rows


async def restore_market(*, race: int, market: Market) -> None:
    """Put the generated chips and penalties back and empty the scores, as before a scoring."""
    conn = connections.get("default")
    async with in_transaction() as tx:
        rules = market.transfers
        await tx.execute_query(MARKET_SQL, [race, rules.free_per_race, rules.penalty_points])
        await tx.execute_query(CHIPS_SQL, [race, [c.name for c in market.chips]])
    for sql in (
        "TRUNCATE team_race_scores",
        "UPDATE teams SET points = 0",
        "VACUUM ANALYZE",
        "CHECKPOINT",
    ):
        await conn.execute_script(sql)


async def main(teams: int, game: str) -> None:
    """Run the rescoring benchmark for `teams` teams of one game on a fresh database."""
    async with bench_services(fresh=True):
        rows = await run(teams, game)
    print()
    print_table(["game", "teams", "run", "seconds", "teams/s", "note"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=100_000)
    parser.add_argument("--game", choices=sorted(BASELINES), help="one game (default: each)")
    args = parser.parse_args()
    if args.game:
        asyncio.run(main(args.teams, args.game))
    else:
        # Each game in a process of its own, on a database of its own, one after the other;
        # classic last, as the read benchmarks run on the boards the last run leaves.
        for game in ("grand_prix", "classic"):
            command = [sys.executable, "-m", "bench.rescore", "--teams", str(args.teams)]
            subprocess.run([*command, "--game", game], check=True)  # noqa: S603

"""Benchmark: ownership counts built by the pipeline, against counting lineups on a read.

Generates N classic teams with one scored race (as bench.rescore does: one 10,000-team public
league), puts every team in `--leagues-per-team` more leagues of `--league-size` teams, then
times the pipeline's build, the same for every league (the design not taken), a league's
count by index on a cache miss, a page's warm read, and what a read used to run (the season's
lineups counted on the first read; a league's counted on every read).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from bench.common import bench_services, print_table, timed
from bench.generate import generate
from webapp.games import registry
from webapp.games.rescoring import rescore_game
from webapp.leaderboards.ownership import (
    COUNTED_SQL,
    LATEST_LINEUPS,
    build_ownership,
    count_league,
)
from webapp.stats.series import ownership

# What the driver and constructor pages ran before (main at 04b2674): the lineups counting
# for the latest locked race, found among all the season's lineups, then grouped.
OLD_HELD_SQL = """
WITH latest AS (
    SELECT lock_at FROM races
    WHERE season_id = $1 AND status <> 'cancelled' AND lock_at <= $3
    ORDER BY lock_at DESC LIMIT 1
),
counting AS (
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id AS lineup_id
    FROM lineups l JOIN teams t ON t.id = l.team_id CROSS JOIN latest
    WHERE t.season_id = $1 AND t.game = $2 AND l.saved_at < latest.lock_at
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
),
held AS (
    SELECT c.team_id, ld.driver_id, NULL::int AS constructor_id
    FROM counting c JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
    UNION ALL
    SELECT c.team_id, NULL, d.constructor_id
    FROM counting c
    JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
    JOIN drivers d ON d.id = ld.driver_id
    WHERE NOT $4::boolean
    UNION ALL
    SELECT c.team_id, NULL, lc.constructor_id
    FROM counting c JOIN lineup_constructors lc ON lc.lineup_id = c.lineup_id
    WHERE $4::boolean
)
"""
OLD_OVERALL_SQL = (
    OLD_HELD_SQL
    + """
SELECT 'driver' AS kind, driver_id AS id, COUNT(DISTINCT team_id)::int AS teams
FROM held WHERE driver_id IS NOT NULL GROUP BY driver_id
UNION ALL
SELECT 'constructor', constructor_id, COUNT(DISTINCT team_id)::int
FROM held WHERE constructor_id IS NOT NULL GROUP BY constructor_id
UNION ALL
SELECT 'all', 0, COUNT(*)::int FROM counting
"""
)
OLD_LEAGUE_SQL = (
    OLD_HELD_SQL
    + """
SELECT m.league_id, COUNT(DISTINCT c.team_id)::int AS teams,
       COUNT(DISTINCT h.team_id) FILTER (WHERE h.driver_id = $6::int)::int AS holding
FROM counting c
JOIN league_members m ON m.team_id = c.team_id
LEFT JOIN held h ON h.team_id = c.team_id
WHERE m.league_id = ANY($5::int[])
GROUP BY m.league_id
"""
)
# The design not taken: every league's counts built in the pipeline with the game's (here
# the counting alone, without writing its rows).
PER_LEAGUE = """,
per_league AS (
    SELECT m.league_id, h.kind, h.asset_id, COUNT(*) AS n
    FROM held h JOIN league_members m ON m.team_id = h.team_id
    GROUP BY m.league_id, h.kind, h.asset_id
)
SELECT COUNT(DISTINCT league_id) AS leagues FROM per_league
"""
EVERY_LEAGUE_SQL = LATEST_LINEUPS + COUNTED_SQL + PER_LEAGUE
# Every team in `per_team` more leagues of `size` teams: team n joins league n // size of
# each of the `per_team` shuffles (a different neighbourhood in each).
LEAGUES_SQL = """
WITH layers AS (SELECT generate_series(1, $2::int) AS k),
spread AS (
    SELECT t.id AS team_id, k,
           (row_number() OVER (PARTITION BY k ORDER BY hashint4(t.id + k * 7919)) - 1) / $1
               AS slot
    FROM teams t CROSS JOIN layers
),
made AS (
    INSERT INTO leagues (season_id, name, is_public, invite_code, owner_id, max_teams,
                         scoring_system, game, created_at)
    SELECT (SELECT max(year) FROM seasons), 'L' || k || '-' || slot, false,
           'B' || lpad(to_hex(k * 1000000 + slot), 7, '0'), (SELECT min(id) FROM users), $1,
           'classic', 'classic', now()
    FROM (SELECT DISTINCT k, slot FROM spread) s
    RETURNING id, name
)
INSERT INTO league_members (league_id, team_id, joined_at)
SELECT m.id, s.team_id, now() FROM spread s JOIN made m ON m.name = 'L' || s.k || '-' || s.slot
"""


async def _times(runs: int, action: Callable[[], Awaitable[object]]) -> list[float]:
    times = []
    for _ in range(runs):
        _, seconds = await timed(action)
        times.append(seconds)
    return times


async def run(teams: int, per_team: int, size: int, reads: int) -> list[list[object]]:
    """Generate the data, time each way of counting, and return table rows."""
    conn = connections.get("default")
    made = await generate(teams=teams, league_size=min(teams, 10_000))
    print(f"generated {teams:,} teams, {made.lineups:,} lineups in {made.seconds:.1f} s")
    if per_team:
        started = time.perf_counter()
        await conn.execute_query(LEAGUES_SQL, [size, per_team])
        await conn.execute_script("VACUUM ANALYZE league_members")
        print(f"{per_team} more leagues a team, of {size}: {time.perf_counter() - started:.1f} s")
    async with in_transaction():
        await rescore_game(race_id=made.race_id, game=registry.get("classic"))
    await conn.execute_script("VACUUM ANALYZE team_race_scores")
    counts = await conn.execute_query_dict(
        "SELECT count(*) AS memberships, count(DISTINCT league_id) AS leagues FROM league_members"
    )
    big = (await conn.execute_query_dict("SELECT min(id) AS id FROM leagues"))[0]["id"]
    small = (await conn.execute_query_dict("SELECT max(id) AS id FROM leagues"))[0]["id"]
    driver = (await conn.execute_query_dict("SELECT min(driver_id) AS id FROM lineup_drivers"))[0][
        "id"
    ]
    season = made.season
    rows: list[list[object]] = []

    def row(what: str, times: list[float], note: str = "") -> None:
        ms = [t * 1000 for t in times]
        rows.append([what, f"{min(ms):,.1f}", f"{statistics.median(ms):,.1f}", note])

    note = f"{counts[0]['memberships']:,} memberships in {counts[0]['leagues']:,} leagues"
    await conn.execute_script("CHECKPOINT")
    row(
        "pipeline: build the game's counts (one row)",
        await _times(3, lambda: build_ownership(season=season, game="classic")),
        "after each rescoring and nightly",
    )
    row(
        "not taken: count every league in the pipeline too",
        await _times(3, lambda: conn.execute_query(EVERY_LEAGUE_SQL, [season, "classic", False])),
        f"{note}; counting only, without writing",
    )
    race = (await conn.execute_query_dict("SELECT race_id FROM asset_ownership"))[0]["race_id"]
    for name, league in (("the 10,000-team league", big), (f"a {size}-team league", small)):
        row(
            f"read, a league's cache miss: {name}",
            await _times(
                reads,
                lambda league=league: count_league(league_id=league, game="classic", race_id=race),
            ),
            "once per board or league generation",
        )
    mine = [big, small, small - 1]
    await ownership(season=season, driver_id=driver, league_ids=mine)
    row(
        "read: the game's row + 3 leagues, warm",
        await _times(reads, lambda: ownership(season=season, driver_id=driver, league_ids=mine)),
        f"{reads} reads; every read but the first after a rescoring",
    )
    # The old count's clock: after every lock, so the generated race's lineups count.
    far = datetime(2100, 1, 1, tzinfo=UTC)
    row(
        "before: the game's count on a read",
        await _times(
            3, lambda: conn.execute_query(OLD_OVERALL_SQL, [season, "classic", far, False])
        ),
        "once per process per board generation",
    )
    for name, league in (("the 10,000-team league", big), (f"a {size}-team league", small)):
        row(
            f"before: a league's count on a read, {name}",
            await _times(
                3,
                lambda league=league: conn.execute_query(
                    OLD_LEAGUE_SQL, [season, "classic", far, False, [league], driver]
                ),
            ),
            "every read",
        )
    return rows


async def main(teams: int, per_team: int, size: int, reads: int) -> None:
    """Run the benchmark on a fresh benchmark database and print its table."""
    async with bench_services(fresh=True):
        rows = await run(teams, per_team, size, reads)
    print_table(["what", "best ms", "median ms", "note"], rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=100_000)
    parser.add_argument("--leagues-per-team", type=int, default=3)
    parser.add_argument("--league-size", type=int, default=20)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.teams, args.leagues_per_team, args.league_size, args.reads))

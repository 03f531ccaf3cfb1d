"""Generate a season with many teams in the benchmark database, set-based, in seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from webapp.catalogue.loader import load_season
from webapp.games.model import Market

USERS_SQL = """
INSERT INTO users (email, username, display_name, password_hash, is_admin, created_at, updated_at)
SELECT 'bench' || g || '@bench.invalid', 'bench' || g, 'Bench ' || g, '-', false, now(), now()
FROM generate_series(1, $1) g
"""
TEAMS_SQL = """
INSERT INTO teams (owner_id, season_id, name, game, points, created_at, updated_at)
SELECT u0.id + (g - 1) / 3, $2, 'Team ' || g, $3, 0, now(), now()
FROM generate_series(1, $1) g, (SELECT min(id) AS id FROM users) u0
"""
# Every team saves a lineup a week before the lock; one in three changes it a day before
# (that one counts); one in ten changes it again after the lock (that one must not count).
LINEUPS_SQL = """
INSERT INTO lineups (id, team_id, saved_at, captain_id)
SELECT row_number() OVER (), x.team_id, x.saved_at, 0
FROM (
    SELECT t.id AS team_id, r.lock_at - interval '7 days' AS saved_at
    FROM teams t, races r WHERE r.id = $1
    UNION ALL
    SELECT t.id, r.lock_at - interval '1 day' FROM teams t, races r
    WHERE r.id = $1 AND t.id % 3 = 0
    UNION ALL
    SELECT t.id, r.lock_at + interval '1 hour' FROM teams t, races r
    WHERE r.id = $1 AND t.id % 10 = 0
) x
"""
# Every 5-driver subset of the first 20 drivers (15,504 of them); each lineup takes one by a
# hash of its id, and a captain among the five by another: uniform, repeatable picks.
SUBSETS_SQL = """
CREATE TEMP TABLE bench_subsets ON COMMIT DROP AS
WITH d AS (SELECT id FROM drivers WHERE season_id = $1 ORDER BY id LIMIT 20)
SELECT (row_number() OVER (ORDER BY a.id, b.id, c.id, e.id, f.id) - 1)::int AS n,
       ARRAY[a.id, b.id, c.id, e.id, f.id] AS ids
FROM d a JOIN d b ON b.id > a.id JOIN d c ON c.id > b.id
JOIN d e ON e.id > c.id JOIN d f ON f.id > e.id
"""
LINEUP_DRIVERS_SQL = """
INSERT INTO lineup_drivers (lineup_id, driver_id, is_captain, price)
SELECT l.id, s.ids[j], j = 1 + (hashint4(l.id + 7919) & 2147483647) % 5, 20.0
FROM lineups l
JOIN bench_subsets s ON s.n = (hashint4(l.id) & 2147483647) % 15504
CROSS JOIN generate_series(1, 5) j
"""
# Games with constructors: each lineup takes a pair of the first 10 constructors (45 pairs)
# by a third hash of its id.
LINEUP_CONSTRUCTORS_SQL = """
WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n
           FROM constructors WHERE season_id = $1 ORDER BY id LIMIT 10),
pairs AS (SELECT (row_number() OVER (ORDER BY a.id, b.id) - 1)::int AS n, a.id AS a, b.id AS b
          FROM c a JOIN c b ON b.id > a.id)
INSERT INTO lineup_constructors (lineup_id, constructor_id, price)
SELECT l.id, x.constructor_id, 15.0
FROM lineups l
JOIN pairs p ON p.n = (hashint4(l.id + 104729) & 2147483647) % 45
CROSS JOIN LATERAL (VALUES (p.a), (p.b)) AS x(constructor_id)
"""
# A game with a market: every lineup is saved for the race; three teams in ten made a paid
# transfer (4 in with 3 free: one penalty), and one team in ten plays a chip (the game's
# chips in turn, by a hash of the team's id).
MARKET_SQL = """
UPDATE lineups l
SET race_id = $1, bank = 0, free_transfers = $2,
    transfers = CASE WHEN (hashint4(l.team_id + 31337) & 2147483647) % 10 < 3 THEN $2 + 1
                     ELSE 0 END,
    penalty_points = CASE WHEN (hashint4(l.team_id + 31337) & 2147483647) % 10 < 3 THEN $3
                          ELSE 0 END
"""
CHIPS_SQL = """
INSERT INTO team_chips (team_id, race_id, chip, played_at)
SELECT t.id, $1, ($2::text[])[1 + (hashint4(t.id + 7) & 2147483647) % cardinality($2::text[])],
       now()
FROM teams t WHERE (hashint4(t.id + 1299709) & 2147483647) % 10 = 0
"""
# Each lineup's captain, and its sorted driver and constructor ids: the copies the entry
# tables' triggers keep (migration 0013), which generation's replica mode skips.
CAPTAINS_SQL = """
UPDATE lineups l
SET captain_id = d.captain_id, driver_ids = d.ids, constructor_ids = COALESCE(c.ids, '{}')
FROM (SELECT lineup_id, array_agg(driver_id ORDER BY driver_id) AS ids,
             min(driver_id) FILTER (WHERE is_captain) AS captain_id
      FROM lineup_drivers GROUP BY lineup_id) d
LEFT JOIN (SELECT lineup_id, array_agg(constructor_id ORDER BY constructor_id) AS ids
           FROM lineup_constructors GROUP BY lineup_id) c ON c.lineup_id = d.lineup_id
WHERE d.lineup_id = l.id
"""
# A finishing order over the first 20 drivers, with the awkward cases of the rules: the
# winner on the road disqualified with the fastest lap, a classified retirement, and
# unclassified finishers.
RESULTS_SQL = """
WITH d AS (
    SELECT id, constructor_id, row_number() OVER (ORDER BY id) AS n
    FROM drivers WHERE season_id = $2 ORDER BY id LIMIT 20
)
INSERT INTO race_results (race_id, version, driver_id, constructor_id, position, position_text,
                          position_order, grid, laps, status, fastest_lap_rank, points)
SELECT $1, 1, d.id, d.constructor_id,
       CASE WHEN d.n BETWEEN 2 AND 17 THEN d.n - 1 END,
       CASE WHEN d.n = 1 THEN 'D' WHEN d.n = 18 THEN 'R' WHEN d.n = 19 THEN 'N'
            WHEN d.n = 20 THEN 'W' ELSE (d.n - 1)::text END,
       d.n, CASE WHEN d.n = 12 THEN 0 ELSE d.n END, 57,
       CASE WHEN d.n = 1 THEN 'Disqualified' WHEN d.n IN (9, 18) THEN 'Retired'
            ELSE 'Finished' END,
       CASE WHEN d.n = 1 THEN 1 WHEN d.n = 15 THEN 2 ELSE d.n + 1 END,
       0
FROM d
"""

# Qualifying and a sprint for the same 20 drivers, with what the Grand Prix rules single
# out: the 20-car format's Q3/Q2/Q1 parts, no time in Q1, a disqualification, a pit-lane
# start, a retirement and a fastest lap; and a Driver of the Day.
SESSIONS_SQL = """
WITH d AS (
    SELECT id, constructor_id, row_number() OVER (ORDER BY id)::int AS n
    FROM drivers WHERE season_id = $2::int ORDER BY id LIMIT 20
)
INSERT INTO session_results (race_id, version, session, driver_id, constructor_id, position,
                             position_text, grid, fastest_lap_rank, reached, disqualified)
SELECT $1::int, 1, 'qualifying', d.id, d.constructor_id, d.n, d.n::text, 0, NULL,
       CASE WHEN d.n = 20 THEN 0 WHEN d.n <= 10 THEN 3 WHEN d.n <= 15 THEN 2 ELSE 1 END,
       d.n = 19
FROM d
UNION ALL
SELECT $1::int, 1, 'sprint', d.id, d.constructor_id, CASE WHEN d.n < 20 THEN 21 - d.n END,
       CASE WHEN d.n = 20 THEN 'R' ELSE (21 - d.n)::text END,
       CASE WHEN d.n = 5 THEN 0 ELSE d.n END, CASE WHEN d.n = 3 THEN 1 ELSE d.n + 1 END, 0, false
FROM d
"""
DRIVER_OF_THE_DAY_SQL = """
UPDATE races SET driver_of_the_day_id =
    (SELECT id FROM drivers WHERE season_id = $2 ORDER BY id OFFSET 2 LIMIT 1)
WHERE id = $1
"""

# The race's result version, one public league, and the sequence past the explicit ids.
FINISH: list[tuple[str, Callable[[int, int, int], list[int]]]] = [
    ("SELECT setval('lineups_id_seq', (SELECT max(id) FROM lineups))", lambda r, s, n: []),
    (
        "INSERT INTO result_versions (race_id, version, content_hash, source, diff, created_at)"
        " VALUES ($1, 1, 'bench', 'manual', '{}', now())",
        lambda r, s, n: [r],
    ),
    (
        "UPDATE races SET results_version = 1, status = 'provisional' WHERE id = $1",
        lambda r, s, n: [r],
    ),
    (
        "INSERT INTO leagues (season_id, name, is_public, invite_code, owner_id, max_teams,"
        " scoring_system, game, created_at) VALUES ($1, 'Bench league', true, 'BENCH234',"
        " (SELECT min(id) FROM users), 10000, 'classic',"
        " (SELECT min(game) FROM teams), now())",
        lambda r, s, n: [s],
    ),
    (
        "INSERT INTO league_members (league_id, team_id, joined_at)"
        " SELECT (SELECT max(id) FROM leagues), id, now() FROM teams ORDER BY id LIMIT $1",
        lambda r, s, n: [n],
    ),
]


@dataclass(frozen=True, slots=True)
class Generated:
    """What was generated and how long it took."""

    season: int
    race_id: int
    teams: int
    lineups: int
    seconds: float


async def generate(
    *,
    teams: int,
    league_size: int,
    game: str = "classic",
    constructors: int = 0,
    market: Market | None = None,
) -> Generated:
    """Fill an empty, migrated database with a season, `teams` teams of `game` and a weekend."""
    started = time.perf_counter()
    await load_season()
    conn = connections.get("default")
    season = int((await conn.execute_query_dict("SELECT max(year) AS y FROM seasons"))[0]["y"])
    race = await conn.execute_query_dict(
        "SELECT id FROM races WHERE season_id = $1 ORDER BY round LIMIT 1", [season]
    )
    race_id = int(race[0]["id"])
    users = (teams + 2) // 3
    # Generation only: skip foreign-key and other triggers, the data is consistent by
    # construction (CAPTAINS_SQL writes what the lineup entries' triggers would).
    async with in_transaction() as tx:
        await tx.execute_script("SET LOCAL session_replication_role = replica")
        await tx.execute_query(USERS_SQL, [users])
        await tx.execute_query(TEAMS_SQL, [teams, season, game])
        await tx.execute_query(LINEUPS_SQL, [race_id])
        await tx.execute_query_dict(SUBSETS_SQL, [season])
        await tx.execute_query(LINEUP_DRIVERS_SQL)
        if constructors:
            await tx.execute_query(LINEUP_CONSTRUCTORS_SQL, [season])
        await tx.execute_query(CAPTAINS_SQL)
        if market is not None:
            rules = market.transfers
            await tx.execute_query(MARKET_SQL, [race_id, rules.free_per_race, rules.penalty_points])
            await tx.execute_query(CHIPS_SQL, [race_id, [c.name for c in market.chips]])
        await tx.execute_query(RESULTS_SQL, [race_id, season])
        await tx.execute_query(SESSIONS_SQL, [race_id, season])
        await tx.execute_query(DRIVER_OF_THE_DAY_SQL, [race_id, season])
        for sql, params in FINISH:
            await tx.execute_query_dict(sql, params(race_id, season, league_size))
    await conn.execute_script("VACUUM ANALYZE")
    lineups = int((await conn.execute_query_dict("SELECT count(*) AS n FROM lineups"))[0]["n"])
    return Generated(season, race_id, teams, lineups, time.perf_counter() - started)

"""Rescore one race weekend (qualifying, sprint, race) for every team of a game, in one statement.

A game scored per session gives its rules as plain data (`rules`: the game's scoring as
JSON, see webapp/games/model.py): the statement reads every number and positionText set
from it and never branches on a game's name, so a new game is scored by the same SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from webapp.scoring.rescore import SCORES_TAIL, RescoreResult, begin_rescoring, rescore_result

# $1 race id, $2 the game's name (teams.game and scoring_system), $3 its scoring as JSON,
# $4 the results version to score (null: the one that counts). Every asset's lines: the
# CTEs both the rescoring and a reader of an older version (webapp/stats/versions.py) use.
# The rescoring adds $5: the game's market chips as a JSON array (empty without a market).
LINES_SQL = """
WITH race AS (
    SELECT r.id, r.season_id, r.lock_at, COALESCE($4::int, r.results_version) AS results_version,
           r.driver_of_the_day_id
    FROM races r
    WHERE r.id = $1 AND r.status <> 'cancelled'
      AND (EXISTS (SELECT 1 FROM race_results x
                   WHERE x.race_id = r.id AND x.version = COALESCE($4::int, r.results_version))
           OR EXISTS (SELECT 1 FROM session_results x
                      WHERE x.race_id = r.id AND x.version = COALESCE($4::int, r.results_version)))
),
rules AS (SELECT $3::jsonb AS j),
-- The race-like sessions the game scores, their rules as columns (an absent one scores 0).
session_rules AS MATERIALIZED (
    SELECT s.session, r.j -> s.session -> 'position_points' AS position_points,
           (r.j -> s.session ->> 'per_position_gained')::int AS per_position_gained,
           (r.j -> s.session ->> 'fastest_lap')::int AS fastest_lap,
           (r.j -> s.session ->> 'fastest_lap_rank')::int AS rewarded_rank,
           -- Driver of the Day is the race's: a sprint never has one.
           CASE WHEN s.session = 'race' THEN (r.j -> s.session ->> 'driver_of_the_day')::int
                ELSE 0 END AS driver_of_the_day,
           (r.j -> s.session ->> 'not_classified')::int AS not_classified,
           (r.j -> s.session ->> 'disqualified')::int AS disqualified,
           ARRAY(SELECT jsonb_array_elements_text(r.j -> s.session -> 'not_classified_texts'))
               AS not_classified_texts,
           ARRAY(SELECT jsonb_array_elements_text(r.j -> s.session -> 'disqualified_texts'))
               AS disqualified_texts,
           ARRAY(SELECT jsonb_array_elements_text(r.j -> s.session -> 'non_starter_texts'))
               AS non_starter_texts
    FROM rules r CROSS JOIN (VALUES ('sprint'), ('race')) AS s(session)
    WHERE jsonb_typeof(r.j -> s.session) = 'object'
),
classifications AS (
    SELECT 'race'::text AS session, rr.driver_id, rr.constructor_id, rr.position_text,
           rr.grid, rr.fastest_lap_rank
    FROM race_results rr JOIN race ON rr.race_id = race.id AND rr.version = race.results_version
    UNION ALL
    SELECT sr.session, sr.driver_id, sr.constructor_id, sr.position_text, sr.grid,
           sr.fastest_lap_rank
    FROM session_results sr
    JOIN race ON sr.race_id = race.id AND sr.version = race.results_version
    WHERE sr.session = 'sprint'
),
-- A pit-lane start (grid 0) counts as starting last of the session's starters.
started AS (
    SELECT c.session, c.driver_id, c.constructor_id, c.position_text, c.grid,
           c.fastest_lap_rank, sr.position_points, sr.per_position_gained, sr.fastest_lap,
           sr.rewarded_rank, sr.driver_of_the_day, sr.not_classified, sr.disqualified,
           sr.not_classified_texts, sr.disqualified_texts,
           CASE WHEN c.position_text ~ '^[0-9]+$' THEN c.position_text::int END AS finished,
           count(*) FILTER (WHERE NOT c.position_text = ANY(sr.non_starter_texts))
               OVER (PARTITION BY c.session) AS starters
    FROM classifications c JOIN session_rules sr USING (session)
),
-- Each driver's points per race-like session; Driver of the Day apart (no constructor's).
session_points AS MATERIALIZED (
    SELECT s.session, s.driver_id, s.constructor_id,
           CASE WHEN s.disqualified_now THEN s.disqualified
                ELSE CASE WHEN s.fastest_lap_rank = s.rewarded_rank THEN s.fastest_lap
                          ELSE 0 END
                   + CASE WHEN s.finished IS NULL THEN 0
                          WHEN s.finished BETWEEN 1 AND jsonb_array_length(s.position_points)
                          THEN (s.position_points ->> (s.finished - 1))::int
                          ELSE 0 END
                   + CASE WHEN s.finished IS NULL THEN 0
                          ELSE s.per_position_gained * (s.start - s.finished) END
                   + CASE WHEN s.finished IS NULL AND s.position_text = ANY(s.not_classified_texts)
                          THEN s.not_classified ELSE 0 END
           END AS points,
           CASE WHEN s.disqualified_now
                  OR s.driver_id IS DISTINCT FROM (SELECT driver_of_the_day_id FROM race) THEN 0
                ELSE s.driver_of_the_day END AS driver_of_the_day
    FROM (SELECT st.*, st.position_text = ANY(st.disqualified_texts) AS disqualified_now,
                 CASE WHEN st.grid > 0 THEN st.grid ELSE st.starters END AS start
          FROM started st) s
),
qualifying_rows AS (
    SELECT sr.driver_id, sr.constructor_id, sr.position, sr.reached, sr.disqualified
    FROM session_results sr
    JOIN race ON sr.race_id = race.id AND sr.version = race.results_version
    WHERE sr.session = 'qualifying'
),
-- A driver's qualifying points: disqualified, no time in Q1 (reached 0), or by position.
qualifying_points AS MATERIALIZED (
    SELECT q.driver_id, q.constructor_id,
           CASE WHEN q.disqualified THEN (r.j -> 'qualifying' ->> 'disqualified')::int
                WHEN q.reached = 0 THEN (r.j -> 'qualifying' ->> 'no_time')::int
                WHEN q.position BETWEEN 1
                     AND jsonb_array_length(r.j -> 'qualifying' -> 'position_points')
                THEN (r.j -> 'qualifying' -> 'position_points' ->> (q.position - 1))::int
                ELSE 0 END AS points
    FROM qualifying_rows q CROSS JOIN rules r
    WHERE jsonb_typeof(r.j -> 'qualifying') = 'object'
),
driver_sessions AS (
    SELECT d.id AS driver_id,
           COALESCE((SELECT sum(q.points) FROM qualifying_points q
                     WHERE q.driver_id = d.id), 0)::int AS qualifying,
           COALESCE((SELECT sum(s.points) FROM session_points s
                     WHERE s.driver_id = d.id AND s.session = 'sprint'), 0)::int AS sprint,
           COALESCE((SELECT sum(s.points + s.driver_of_the_day) FROM session_points s
                     WHERE s.driver_id = d.id AND s.session = 'race'), 0)::int AS race
    FROM drivers d JOIN race ON d.season_id = race.season_id
),
-- Every driver as a non-captain and as a captain: the multiplier's share is kept apart.
driver_lines AS MATERIALIZED (
    SELECT ds.driver_id, c.captain, ds.qualifying, ds.sprint, ds.race, 0 AS bonus,
           CASE WHEN c.captain
                THEN (ds.qualifying + ds.sprint + ds.race)
                     * ((SELECT (j ->> 'captain_multiplier')::int FROM rules) - 1)
                ELSE 0 END AS captain_points
    FROM driver_sessions ds CROSS JOIN (VALUES (false), (true)) AS c(captain)
),
constructor_rules AS (
    SELECT r.j -> 'constructor' -> 'qualifying_bonus' AS bonus,
           (r.j -> 'constructor' ->> 'includes_driver_of_the_day')::boolean AS with_dotd
    FROM rules r WHERE jsonb_typeof(r.j -> 'constructor') = 'object'
),
-- A constructor: its cars' session points (no Driver of the Day unless the game says so,
-- never the captain's share) plus the bonus for how far its cars got in qualifying.
constructor_lines AS MATERIALIZED (
    SELECT c.id AS constructor_id, false AS captain,
           COALESCE((SELECT sum(q.points) FROM qualifying_points q
                     WHERE q.constructor_id = c.id), 0)::int AS qualifying,
           COALESCE((SELECT sum(s.points) FROM session_points s
                     WHERE s.constructor_id = c.id AND s.session = 'sprint'), 0)::int AS sprint,
           COALESCE((SELECT sum(s.points + CASE WHEN cr.with_dotd THEN s.driver_of_the_day
                                                ELSE 0 END)
                     FROM session_points s
                     WHERE s.constructor_id = c.id AND s.session = 'race'), 0)::int AS race,
           COALESCE((SELECT CASE WHEN count(*) FILTER (WHERE q.reached >= 3) >= 2
                                 THEN (cr.bonus ->> 'both_q3')::int
                                 WHEN count(*) FILTER (WHERE q.reached >= 3) = 1
                                 THEN (cr.bonus ->> 'one_q3')::int
                                 WHEN count(*) FILTER (WHERE q.reached = 2) >= 2
                                 THEN (cr.bonus ->> 'both_q2')::int
                                 WHEN count(*) FILTER (WHERE q.reached = 2) = 1
                                 THEN (cr.bonus ->> 'one_q2')::int
                                 ELSE (cr.bonus ->> 'neither_leaves_q1')::int END
                     FROM qualifying_rows q WHERE q.constructor_id = c.id
                     HAVING count(*) > 0), 0) AS bonus,
           0 AS captain_points
    FROM constructors c
    JOIN race ON c.season_id = race.season_id
    CROSS JOIN constructor_rules cr
    UNION ALL
    -- A game without constructor rules still shows its constructors, at nothing.
    SELECT c.id, false, 0, 0, 0, 0, 0
    FROM constructors c JOIN race ON c.season_id = race.season_id
    WHERE NOT EXISTS (SELECT 1 FROM constructor_rules)
)"""

# An older (or the counting) version's lines, read only: (driver_id, constructor_id, captain,
# points) per asset line (with the system, $2), as rescoring would store them for that version.
VERSION_TAIL = """
SELECT $2::text AS scoring_system, l.driver_id, NULL::int AS constructor_id, l.captain,
       (l.qualifying + l.sprint + l.race + l.bonus + l.captain_points)::int AS points
FROM driver_lines l
UNION ALL
SELECT $2::text, NULL, l.constructor_id, false, (l.qualifying + l.sprint + l.race + l.bonus)::int
FROM constructor_lines l
"""
VERSION_LINES_SQL = LINES_SQL + VERSION_TAIL

# Each team's points from its counting lineup ($5: the game's chips), as `scored`: the
# rescoring writes them, a reader of an older version only reads them.
TEAMS_TAIL = """,
-- The game's chips as columns ($5: its market's chips; none for a game without a market).
chip_rules AS MATERIALIZED (
    SELECT x.name, x.captain_multiplier,
           COALESCE(x.unlimited_transfers, false) AS unlimited_transfers,
           COALESCE(x.reverts_after_race, false) AS reverts_after_race,
           COALESCE(x.no_negative, false) AS no_negative,
           COALESCE(x.auto_captain, false) AS auto_captain
    FROM jsonb_to_recordset($5::jsonb) AS x(name text, captain_multiplier int,
         unlimited_transfers boolean, reverts_after_race boolean, no_negative boolean,
         auto_captain boolean)
),
-- The chips played for this race, their effects folded per team. Read once, so the planner
-- inlines it and joins it with the table's statistics (a materialized CTE has none, and its
-- guesses would make every later join look millions of times bigger than it is).
played AS (
    SELECT tc.team_id, min(tc.chip) AS chip, max(cr.captain_multiplier) AS captain_multiplier,
           bool_or(cr.unlimited_transfers) AS unlimited_transfers,
           bool_or(cr.no_negative) AS no_negative, bool_or(cr.auto_captain) AS auto_captain
    FROM team_chips tc JOIN chip_rules cr ON cr.name = tc.chip
    WHERE tc.race_id = $1
    GROUP BY tc.team_id
),
-- Other races played with a reverting chip: lineups saved for them counted there only.
reverting AS MATERIALIZED (
    SELECT DISTINCT tc.team_id, tc.race_id
    FROM team_chips tc JOIN chip_rules cr ON cr.name = tc.chip
    WHERE cr.reverts_after_race AND tc.race_id <> $1
),
-- The race's points of every driver and constructor as arrays indexed by id (from the
-- season's lowest; null for an id with no line), as they count plainly and under
-- no_negative (negative session lines 0): a team's points are then a few array lookups,
-- with no join over every lineup's assets.
point_arrays AS MATERIALIZED (
    SELECT d.base AS driver_base, d.points AS driver_points, d.positive AS driver_positive,
           c.base AS constructor_base, c.points AS constructor_points,
           c.positive AS constructor_positive
    FROM (SELECT min(g) AS base,
                 array_agg(e.qualifying + e.sprint + e.race ORDER BY g) AS points,
                 array_agg(GREATEST(e.qualifying, 0) + GREATEST(e.sprint, 0)
                           + GREATEST(e.race, 0) ORDER BY g) AS positive
          FROM generate_series((SELECT min(driver_id) FROM driver_lines),
                               (SELECT max(driver_id) FROM driver_lines)) g
          LEFT JOIN driver_lines e ON e.driver_id = g AND NOT e.captain) d,
         (SELECT min(g) AS base,
                 array_agg(e.qualifying + e.sprint + e.race + e.bonus ORDER BY g) AS points,
                 array_agg(GREATEST(e.qualifying, 0) + GREATEST(e.sprint, 0)
                           + GREATEST(e.race, 0) + GREATEST(e.bonus, 0) ORDER BY g) AS positive
          FROM generate_series((SELECT min(constructor_id) FROM constructor_lines),
                               (SELECT max(constructor_id) FROM constructor_lines)) g
          LEFT JOIN constructor_lines e ON e.constructor_id = g) c
),
-- Every team's counting lineup (saved last before the lock), with its chip's effects.
picked AS (
    SELECT DISTINCT ON (l.team_id) l.team_id, t.owner_id, l.id AS lineup_id, l.captain_id,
           l.driver_ids, l.constructor_ids, p.chip, COALESCE(p.auto_captain, false) AS auto_captain,
           COALESCE(p.captain_multiplier,
                    (SELECT (j ->> 'captain_multiplier')::int FROM rules)) AS multiplier,
           COALESCE(p.no_negative, false) AS no_negative,
           CASE WHEN l.race_id = race.id AND NOT COALESCE(p.unlimited_transfers, false)
                THEN l.penalty_points ELSE 0 END AS penalty_points
    FROM lineups l
    JOIN teams t ON t.id = l.team_id
    JOIN race ON t.season_id = race.season_id AND l.saved_at < race.lock_at
    LEFT JOIN played p ON p.team_id = l.team_id
    WHERE t.game = $2
      AND NOT EXISTS (SELECT 1 FROM reverting v
                      WHERE v.team_id = l.team_id AND v.race_id = l.race_id)
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
),
-- The captain whose points are multiplied: under an auto-captain chip the lineup's
-- best-scoring driver (a tie keeps the team's captain, then the lowest driver id).
captained AS (
    SELECT k.*, CASE WHEN k.auto_captain THEN COALESCE((
               SELECT d FROM unnest(k.driver_ids) d
               WHERE a.driver_points[d - a.driver_base + 1] IS NOT NULL
               ORDER BY CASE WHEN k.no_negative THEN a.driver_positive[d - a.driver_base + 1]
                             ELSE a.driver_points[d - a.driver_base + 1] END DESC,
                        d = k.captain_id DESC, d
               LIMIT 1), k.captain_id) ELSE k.captain_id END AS counted_captain
    FROM picked k CROSS JOIN point_arrays a
),
scored AS (
    SELECT k.team_id, k.owner_id, k.lineup_id, k.penalty_points, k.chip,
           CASE WHEN k.chip IS NOT NULL THEN k.counted_captain END AS captain_id,
           (COALESCE((SELECT sum(CASE WHEN k.no_negative
                                      THEN a.driver_positive[d - a.driver_base + 1]
                                      ELSE a.driver_points[d - a.driver_base + 1] END
                                 * CASE WHEN d = k.counted_captain THEN k.multiplier ELSE 1 END)
                      FROM unnest(k.driver_ids) d), 0)
            + COALESCE((SELECT sum(CASE WHEN k.no_negative
                                        THEN a.constructor_positive[c - a.constructor_base + 1]
                                        ELSE a.constructor_points[c - a.constructor_base + 1] END)
                        FROM unnest(k.constructor_ids) c), 0)
            + k.penalty_points)::int AS points
    FROM captained k CROSS JOIN point_arrays a
)
"""

# Writes the lines and the changed scores (the rescoring).
STORE_TAIL = """,
stored_lines AS (
    INSERT INTO race_asset_scores
        (race_id, scoring_system, result_version, driver_id, constructor_id, captain,
         qualifying_points, sprint_points, race_points, bonus_points, captain_points, points)
    SELECT race.id, $2, race.results_version, l.driver_id, NULL, l.captain, l.qualifying,
           l.sprint, l.race, l.bonus, l.captain_points,
           l.qualifying + l.sprint + l.race + l.bonus + l.captain_points
    FROM driver_lines l CROSS JOIN race
    UNION ALL
    SELECT race.id, $2, race.results_version, NULL, l.constructor_id, false, l.qualifying,
           l.sprint, l.race, l.bonus, 0, l.qualifying + l.sprint + l.race + l.bonus
    FROM constructor_lines l CROSS JOIN race
),
"""
WEEKEND_SQL = LINES_SQL + TEAMS_TAIL + STORE_TAIL + SCORES_TAIL

# Some teams' ($6) points under one version, read only: what rescoring would store.
VERSION_TEAMS_TAIL = """
SELECT $2::text AS scoring_system, team_id, points FROM scored WHERE team_id = ANY($6::int[])
"""
VERSION_TEAMS_SQL = LINES_SQL + TEAMS_TAIL + VERSION_TEAMS_TAIL


async def rescore_weekend(
    *,
    race_id: int,
    system: str,
    rules: Mapping[str, Any],
    chips: Sequence[Mapping[str, Any]] = (),
) -> RescoreResult:
    """Rewrite every score of `system`'s teams for a race weekend in one transaction."""
    async with in_transaction() as conn:
        season = await begin_rescoring(conn, race_id=race_id, system=system)
        # The statement writes the race's lines afresh (its parts cannot delete and insert
        # the same rows).
        await conn.execute_query(
            "DELETE FROM race_asset_scores WHERE race_id = $1 AND scoring_system = $2",
            [race_id, system],
        )
        _, records = await conn.execute_query(
            WEEKEND_SQL,
            [race_id, system, json.dumps(dict(rules)), None, json.dumps([dict(c) for c in chips])],
        )
    return rescore_result(race_id=race_id, system=system, season=season, records=records)


async def version_scores(
    *,
    race_id: int,
    system: str,
    rules: Mapping[str, Any],
    chips: Sequence[Mapping[str, Any]],
    version: int,
    team_ids: Sequence[int],
) -> dict[int, int]:
    """Return some teams' points under one results version, chips and penalties counted."""
    rows = await connections.get("default").execute_query_dict(
        VERSION_TEAMS_SQL,
        [
            race_id,
            system,
            json.dumps(dict(rules)),
            version,
            json.dumps([dict(c) for c in chips]),
            list(team_ids),
        ],
    )
    return {int(r["team_id"]): int(r["points"]) for r in rows}


async def version_lines(
    *, race_id: int, system: str, rules: Mapping[str, Any], version: int
) -> dict[tuple[str, int, bool], int]:
    """Return every asset's points under one results version: (kind, id, captain) -> points."""
    rows = await connections.get("default").execute_query_dict(
        VERSION_LINES_SQL, [race_id, system, json.dumps(dict(rules)), version]
    )
    return {
        ("driver", r["driver_id"], r["captain"])
        if r["driver_id"] is not None
        else ("constructor", r["constructor_id"], False): int(r["points"])
        for r in rows
    }

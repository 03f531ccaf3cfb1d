"""Rescore one race for every team at once, in the database, safely and idempotently."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from webapp.errors import AppError
from webapp.scoring.systems import DEFAULT_SYSTEM, ScoringSystem, get_system

# Namespaces of the two-key advisory locks; any fixed pair of 32-bit ints would do.
LOCK_RACE = zlib.crc32(b"paddock.rescore.race") & 0x7FFFFFFF
LOCK_SEASON_TOTALS = zlib.crc32(b"paddock.rescore.season-totals") & 0x7FFFFFFF

# The end of every game's rescoring statement: the CTE before it, `scored`, holds
# (team_id, owner_id, lineup_id, points, penalty_points, chip, captain_id) for every team
# of the game with a lineup that counts (the last three are a market game's: 0 and NULLs
# elsewhere); $1 is the race and $2 the game. It writes what changed and returns the changes.
SCORES_TAIL = """
old AS (
    SELECT id, team_id, lineup_id, points, penalty_points, chip, captain_id
    FROM team_race_scores WHERE race_id = $1 AND scoring_system = $2
),
-- Only new, different and vanished scores go on: unchanged rows are never touched.
diff AS (
    SELECT COALESCE(sc.team_id, o.team_id) AS team_id, sc.owner_id, sc.lineup_id,
           o.id AS score_id, o.points AS old_points, sc.points AS new_points,
           sc.penalty_points, sc.chip, sc.captain_id
    FROM scored sc FULL JOIN old o ON o.team_id = sc.team_id
    WHERE sc.team_id IS NULL OR o.team_id IS NULL
       OR (o.lineup_id, o.points, o.penalty_points, o.chip, o.captain_id)
          IS DISTINCT FROM (sc.lineup_id, sc.points, sc.penalty_points, sc.chip, sc.captain_id)
),
-- New rows are plain inserts: overlapping runs queue on the advisory lock, so no other
-- run can add the same row meanwhile (ON CONFLICT would cost a speculative insert each).
inserted AS (
    INSERT INTO team_race_scores
        (team_id, race_id, scoring_system, lineup_id, points, penalty_points, chip, captain_id,
         updated_at)
    SELECT d.team_id, $1, $2, d.lineup_id, d.new_points, d.penalty_points, d.chip,
           d.captain_id, now()
    FROM diff d
    WHERE d.old_points IS NULL AND d.new_points IS NOT NULL
),
updated AS (
    UPDATE team_race_scores s
    SET lineup_id = d.lineup_id, points = d.new_points, penalty_points = d.penalty_points,
        chip = d.chip, captain_id = d.captain_id, updated_at = now()
    FROM diff d
    -- By primary key: the plan stays a keyed lookup however few rows the planner expects.
    WHERE d.old_points IS NOT NULL AND d.new_points IS NOT NULL AND s.id = d.score_id
),
removed AS (
    DELETE FROM team_race_scores s USING diff d
    WHERE d.new_points IS NULL AND s.id = d.score_id
),
-- A team plays one game, so its season points are the sum of this game's race scores.
totals AS (
    UPDATE teams t
    SET points = t.points + COALESCE(d.new_points, 0) - COALESCE(d.old_points, 0)
    FROM diff d
    WHERE t.id = d.team_id AND COALESCE(d.new_points, 0) <> COALESCE(d.old_points, 0)
)
-- Owners come with the lineups; only teams whose score vanished need looking up.
SELECT d.team_id,
       COALESCE(d.owner_id, (SELECT t.owner_id FROM teams t WHERE t.id = d.team_id)),
       d.old_points, d.new_points
FROM diff d
"""

# One statement does the whole job. Its parameters carry the scoring system:
# $1 race id, $2 system name, $3/$4 position table, $5 fastest-lap bonus, $6 rank that
# earns it, $7 positionTexts that void it, $8 classified pattern, $9 captain multiplier.
_RESCORE_HEAD = """
WITH race AS (
    SELECT r.id, r.season_id, r.lock_at, r.results_version
    FROM races r
    WHERE r.id = $1 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM race_results x
                  WHERE x.race_id = r.id AND x.version = r.results_version)
),
position_table AS (
    SELECT * FROM unnest($3::int[], $4::int[]) AS t(position, points)
),
driver_scores AS (
    SELECT rr.driver_id,
           COALESCE(pt.points, 0) AS position_points,
           CASE WHEN rr.fastest_lap_rank = $6 AND NOT (rr.position_text = ANY($7::text[]))
                THEN $5::int ELSE 0 END AS bonus_points
    FROM race_results rr
    JOIN race ON rr.race_id = race.id AND rr.version = race.results_version
    LEFT JOIN position_table pt
      ON pt.position = CASE WHEN rr.position_text ~ $8 THEN rr.position_text::int END
),
chosen AS (
    SELECT DISTINCT ON (l.team_id) l.team_id, t.owner_id, l.id AS lineup_id, l.captain_id,
           l.driver_ids
    FROM lineups l
    JOIN teams t ON t.id = l.team_id
    JOIN race ON t.season_id = race.season_id AND l.saved_at < race.lock_at
    -- A team plays one game: the others' teams are scored by their own.
    WHERE t.game = $2
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
),
-- Every driver as a non-captain and as a captain: a few dozen rows, kept for breakdowns.
entries AS MATERIALIZED (
    SELECT d.id AS driver_id, c.captain,
           COALESCE(ds.position_points, 0) AS position_points,
           COALESCE(ds.bonus_points, 0) AS bonus_points,
           CASE WHEN c.captain THEN $9::int ELSE 1 END AS multiplier,
           (COALESCE(ds.position_points, 0) + COALESCE(ds.bonus_points, 0))
               * CASE WHEN c.captain THEN $9::int ELSE 1 END AS points
    FROM drivers d
    JOIN race ON d.season_id = race.season_id
    CROSS JOIN (VALUES (false), (true)) AS c(captain)
    LEFT JOIN driver_scores ds ON ds.driver_id = d.id
),
stored_entries AS (
    INSERT INTO race_driver_scores
        (race_id, scoring_system, result_version, driver_id, captain, position_points,
         bonus_points, multiplier, points)
    SELECT race.id, $2, race.results_version, e.driver_id, e.captain, e.position_points,
           e.bonus_points, e.multiplier, e.points
    FROM entries e CROSS JOIN race
),
-- The entries' points as arrays indexed by driver id (from the season's lowest; null for an
-- id with no entry), as a non-captain and as a captain: a team's points are a few array
-- lookups on its lineup's own driver ids, with no join over every lineup's drivers.
point_arrays AS MATERIALIZED (
    SELECT min(g) AS base, array_agg(p.points ORDER BY g) AS plain,
           array_agg(c.points ORDER BY g) AS captained
    FROM generate_series((SELECT min(driver_id) FROM entries),
                         (SELECT max(driver_id) FROM entries)) g
    LEFT JOIN entries p ON p.driver_id = g AND NOT p.captain
    LEFT JOIN entries c ON c.driver_id = g AND c.captain
),
-- A lineup with none of the season's drivers scores nothing (no row), as it never could.
summed AS (
    SELECT c.team_id, c.owner_id, c.lineup_id,
           (SELECT sum(CASE WHEN d = c.captain_id THEN a.captained[d - a.base + 1]
                            ELSE a.plain[d - a.base + 1] END)
            FROM unnest(c.driver_ids) d) AS points
    FROM chosen c CROSS JOIN point_arrays a
),
scored AS (
    SELECT team_id, owner_id, lineup_id, points::int AS points,
           0 AS penalty_points, NULL::varchar AS chip, NULL::int AS captain_id
    FROM summed WHERE points IS NOT NULL
),
"""
RESCORE_SQL = _RESCORE_HEAD + SCORES_TAIL


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A team whose points for the race are new or different after rescoring."""

    team_id: int
    owner_id: int
    old_points: int | None
    new_points: int


@dataclass(slots=True)
class RescoreResult:
    """What one rescoring run did."""

    race_id: int
    system: str
    season: int
    changes: list[ScoreChange] = field(default_factory=list)
    # Teams whose score for the race disappeared (lineup no longer counts, results withdrawn).
    removed_team_ids: list[int] = field(default_factory=list)
    # Every team whose score row was written or removed, points changed or not.
    touched_team_ids: list[int] = field(default_factory=list)


def rescore_params(race_id: int, system: ScoringSystem) -> list[object]:
    """Return the parameters of `RESCORE_SQL` for one race and one system."""
    positions, points = system.position_table()
    return [
        race_id,
        system.name,
        positions,
        points,
        system.fastest_lap_bonus,
        system.fastest_lap_rank,
        sorted(system.bonus_void_texts),
        system.classified_pattern,
        system.captain_multiplier,
    ]


async def begin_rescoring(conn: BaseDBAsyncClient, *, race_id: int, system: str) -> int:
    """Take rescoring's locks for a race and system in `conn`'s transaction; return the season."""
    # The race row first, as storing results does, so the two never wait on each other
    # in opposite orders; NO KEY UPDATE still lets score rows reference the race.
    rows = await conn.execute_query_dict(
        "SELECT season_id FROM races WHERE id = $1 FOR NO KEY UPDATE", [race_id]
    )
    if not rows:
        raise AppError.not_found("No such race")
    season = int(rows[0]["season_id"])
    # Overlapping runs of one race queue here; the season lock keeps runs of different
    # races from deadlocking on the same team rows when they add to season totals.
    await conn.execute_query_dict(
        "SELECT pg_advisory_xact_lock($1, $2)",
        [LOCK_RACE, zlib.crc32(f"{system}:{race_id}".encode()) & 0x7FFFFFFF],
    )
    await conn.execute_query_dict(
        "SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SEASON_TOTALS, season]
    )
    # A big batch statement: sort and hash in memory, and skip JIT compilation.
    await conn.execute_script("SET LOCAL work_mem = '256MB'; SET LOCAL jit = off")
    return season


def rescore_result(
    *, race_id: int, system: str, season: int, records: Sequence[Any]
) -> RescoreResult:
    """Read a rescoring statement's (team, owner, old, new) rows into its result."""
    result = RescoreResult(race_id=race_id, system=system, season=season)
    for team_id, owner_id, old, new in records:
        result.touched_team_ids.append(team_id)
        if new is None:
            result.removed_team_ids.append(team_id)
        elif old != new:
            result.changes.append(ScoreChange(team_id, owner_id, old, new))
    return result


async def rescore_scores(*, race_id: int, system: str = DEFAULT_SYSTEM) -> RescoreResult:
    """Rewrite every score of `system`'s teams for a race in one transaction; leave boards alone."""
    scoring = get_system(system)
    async with in_transaction() as conn:
        season = await begin_rescoring(conn, race_id=race_id, system=scoring.name)
        # The statement writes the race's driver entries afresh (its parts cannot delete
        # and insert the same keys).
        await conn.execute_query(
            "DELETE FROM race_driver_scores WHERE race_id = $1 AND scoring_system = $2",
            [race_id, scoring.name],
        )
        # Plain records, not dicts: a first scoring returns a row per team.
        _, records = await conn.execute_query(RESCORE_SQL, rescore_params(race_id, scoring))
    return rescore_result(race_id=race_id, system=scoring.name, season=season, records=records)

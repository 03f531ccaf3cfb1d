"""Rescore one race for every team at once, in the database, safely and idempotently."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from webapp.errors import AppError
from webapp.scoring.systems import DEFAULT_SYSTEM, ScoringSystem, get_system

# Namespaces of the two-key advisory locks; any fixed pair of 32-bit ints would do.
LOCK_RACE = zlib.crc32(b"paddock.rescore.race") & 0x7FFFFFFF
LOCK_SEASON_TOTALS = zlib.crc32(b"paddock.rescore.season-totals") & 0x7FFFFFFF

# One statement does the whole job. Its parameters carry the scoring system:
# $1 race id, $2 system name, $3/$4 position table, $5 fastest-lap bonus, $6 rank that
# earns it, $7 positionTexts that void it, $8 classified pattern, $9 captain multiplier,
# $10 whether this system's totals are the season points kept on teams.
RESCORE_SQL = """
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
    SELECT DISTINCT ON (l.team_id) l.team_id, l.id AS lineup_id, l.captain_id
    FROM lineups l
    JOIN teams t ON t.id = l.team_id
    JOIN race ON t.season_id = race.season_id AND l.saved_at < race.lock_at
    ORDER BY l.team_id, l.saved_at DESC, l.id DESC
),
per_driver AS (
    SELECT c.team_id, c.lineup_id, ld.driver_id,
           ld.driver_id = c.captain_id AS captain,
           COALESCE(ds.position_points, 0) AS position_points,
           COALESCE(ds.bonus_points, 0) AS bonus_points,
           CASE WHEN ld.driver_id = c.captain_id THEN $9::int ELSE 1 END AS multiplier
    FROM chosen c
    JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
    LEFT JOIN driver_scores ds ON ds.driver_id = ld.driver_id
),
scored AS (
    SELECT team_id, lineup_id,
           SUM((position_points + bonus_points) * multiplier)::int AS points,
           jsonb_agg(jsonb_build_object(
               'driver_id', driver_id, 'captain', captain,
               'position_points', position_points, 'bonus_points', bonus_points,
               'multiplier', multiplier,
               'points', (position_points + bonus_points) * multiplier
           ) ORDER BY driver_id) AS breakdown
    FROM per_driver
    GROUP BY team_id, lineup_id
),
old AS (
    SELECT team_id, points FROM team_race_scores WHERE race_id = $1 AND scoring_system = $2
),
upserted AS (
    INSERT INTO team_race_scores AS s
        (team_id, race_id, scoring_system, lineup_id, points, breakdown, result_version,
         updated_at)
    SELECT sc.team_id, race.id, $2, sc.lineup_id, sc.points, sc.breakdown,
           race.results_version, now()
    FROM scored sc CROSS JOIN race
    ON CONFLICT (team_id, race_id, scoring_system) DO UPDATE
    SET lineup_id = EXCLUDED.lineup_id, points = EXCLUDED.points,
        breakdown = EXCLUDED.breakdown, result_version = EXCLUDED.result_version,
        updated_at = EXCLUDED.updated_at
    WHERE (s.lineup_id, s.points, s.breakdown, s.result_version)
          IS DISTINCT FROM
          (EXCLUDED.lineup_id, EXCLUDED.points, EXCLUDED.breakdown, EXCLUDED.result_version)
    RETURNING s.team_id, s.points
),
removed AS (
    DELETE FROM team_race_scores s
    WHERE s.race_id = $1 AND s.scoring_system = $2
      AND NOT EXISTS (SELECT 1 FROM scored sc WHERE sc.team_id = s.team_id)
    RETURNING s.team_id, s.points
),
touched AS (
    SELECT u.team_id, o.points AS old_points, u.points AS new_points
    FROM upserted u LEFT JOIN old o ON o.team_id = u.team_id
    UNION ALL
    SELECT r.team_id, r.points, NULL FROM removed r
),
totals AS (
    UPDATE teams t
    SET points = t.points + COALESCE(x.new_points, 0) - COALESCE(x.old_points, 0)
    FROM touched x
    WHERE $10 AND t.id = x.team_id
      AND COALESCE(x.new_points, 0) <> COALESCE(x.old_points, 0)
    RETURNING t.id
)
SELECT x.team_id, t.owner_id, x.old_points, x.new_points
FROM touched x JOIN teams t ON t.id = x.team_id
ORDER BY x.team_id
"""


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
    # Rows rewritten without a points change (new result version, other lineup), and all teams.
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
        system.name == DEFAULT_SYSTEM,
    ]


async def rescore_scores(*, race_id: int, system: str = DEFAULT_SYSTEM) -> RescoreResult:
    """Rewrite every team's score for a race in one transaction; leave boards alone."""
    scoring = get_system(system)
    async with in_transaction() as conn:
        rows = await conn.execute_query_dict("SELECT season_id FROM races WHERE id = $1", [race_id])
        if not rows:
            raise AppError.not_found("No such race")
        season = int(rows[0]["season_id"])
        # Overlapping runs of one race queue here; the season lock keeps runs of different
        # races from deadlocking on the same team rows when they add to season totals.
        await conn.execute_query_dict(
            "SELECT pg_advisory_xact_lock($1, $2)",
            [LOCK_RACE, zlib.crc32(f"{scoring.name}:{race_id}".encode()) & 0x7FFFFFFF],
        )
        if scoring.name == DEFAULT_SYSTEM:
            await conn.execute_query_dict(
                "SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SEASON_TOTALS, season]
            )
        rows = await conn.execute_query_dict(RESCORE_SQL, rescore_params(race_id, scoring))
    result = RescoreResult(race_id=race_id, system=scoring.name, season=season)
    for row in rows:
        team_id, old, new = int(row["team_id"]), row["old_points"], row["new_points"]
        result.touched_team_ids.append(team_id)
        if new is None:
            result.removed_team_ids.append(team_id)
        elif old != new:
            result.changes.append(
                ScoreChange(
                    team_id=team_id, owner_id=int(row["owner_id"]), old_points=old, new_points=new
                )
            )
    return result


async def rescore_race(*, race_id: int, system: str = DEFAULT_SYSTEM) -> RescoreResult:
    """Rescore a race for every team, then bring its leaderboards up to date."""
    from webapp.leaderboards.refresh import refresh_after_rescore

    result = await rescore_scores(race_id=race_id, system=system)
    await refresh_after_rescore(result)
    return result

"""Each season's ownership counts, built by the results pipeline for the asset pages.

Ownership is the share of a game's teams holding a driver or constructor, counted in the
lineups that scored the season's latest scored race of the game (the score rows name them).
Over the whole game it is one set-based pass over that race's scores and lineups (about a
second at 100,000 teams, where a page's first read used to spend 1-4 s), so it is built where
boards are: after each rescoring that wrote a score and by the nightly rebuild, before the
board generation moves, and kept in `asset_ownership`, one row per (season, game). A page
reads that row; it never counts the game's lineups.

"In my leagues" is counted on a read instead, by index, one league at a time and every asset
at once: its members' score rows of the race the stored row names, and their lineups' assets
(60-100 ms for a 10,000-team league, under a millisecond for a 20-team one), cached per board
and league generation (webapp/stats/series.py). Counting every league in the pipeline too
measured 4.4 s at 100,000 teams in 310,000 memberships against 0.9-1.0 s for the game alone,
growing with every membership of the season, only to spare each league's first reader after a
rescoring; and a count on a read follows a team joining or leaving at once
(docs/benchmarks.md, `python -m bench.ownership`).

Why as of the last scored race: lineups are private until their deadline (a share in a
two-team league would give a rival's lineup away), and a lineup saved since then counts from
the next race's results; the page says which race its figures are from.
"""

from __future__ import annotations

from tortoise import connections
from tortoise.transactions import in_transaction

from webapp import games
from webapp.models import AssetOwnership

# Given `counting` (team_id, lineup_id) and $3, whether the game picks constructors: each
# counting team's drivers, and its constructors: picked ones in a game that picks them, else
# those of its drivers (once each), and a row per lineup itself (kind 0 the lineup, 1 a
# driver, 2 a constructor), counted per kind and asset.
COUNTED_SQL = """
held AS (
    SELECT c.team_id, 0 AS kind, 0 AS asset_id FROM counting c
    UNION ALL
    SELECT c.team_id, 1, ld.driver_id
    FROM counting c JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
    UNION ALL
    SELECT DISTINCT c.team_id, 2, d.constructor_id
    FROM counting c
    JOIN lineup_drivers ld ON ld.lineup_id = c.lineup_id
    JOIN drivers d ON d.id = ld.driver_id
    WHERE NOT $3::boolean AND d.constructor_id IS NOT NULL
    UNION ALL
    SELECT c.team_id, 2, lc.constructor_id
    FROM counting c JOIN lineup_constructors lc ON lc.lineup_id = c.lineup_id
    WHERE $3::boolean
),
counted AS (SELECT kind, asset_id, COUNT(*)::int AS n FROM held GROUP BY kind, asset_id)
"""

# $1 season, $2 game (its scoring system too), $3 as above. `latest` is the season's latest
# race with scores of the game, `counting` the lineups that scored it; kept as one row.
LATEST_LINEUPS = """
WITH latest AS (
    SELECT r.id FROM races r
    WHERE r.season_id = $1 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM team_race_scores s
                  WHERE s.race_id = r.id AND s.scoring_system = $2)
    ORDER BY r.round DESC LIMIT 1
),
counting AS (
    SELECT s.team_id, s.lineup_id
    FROM team_race_scores s JOIN latest ON s.race_id = latest.id
    WHERE s.scoring_system = $2
),"""
KEEP = """
INSERT INTO asset_ownership (season_id, game, race_id, teams, drivers, constructors)
SELECT $1, $2, latest.id, COALESCE(MAX(n) FILTER (WHERE kind = 0), 0),
       COALESCE(jsonb_object_agg(asset_id::text, n) FILTER (WHERE kind = 1), '{}'),
       COALESCE(jsonb_object_agg(asset_id::text, n) FILTER (WHERE kind = 2), '{}')
FROM latest LEFT JOIN counted ON true
GROUP BY latest.id
"""
BUILD_SQL = LATEST_LINEUPS + COUNTED_SQL + KEEP

# The same counts among one league's members ($4) who scored race $1 ($2 game, $3 as above):
# index lookups from the league's memberships to their score rows and lineups.
LEAGUE_LINEUPS = """
WITH counting AS (
    SELECT s.team_id, s.lineup_id
    FROM league_members m
    JOIN team_race_scores s
      ON s.team_id = m.team_id AND s.race_id = $1 AND s.scoring_system = $2
    WHERE m.league_id = $4
),"""
COUNTS = "SELECT kind, asset_id, n FROM counted"
LEAGUE_SQL = LEAGUE_LINEUPS + COUNTED_SQL + COUNTS


async def build_ownership(*, season: int, game: str) -> None:
    """Count who holds each asset of a season in one game and keep it (nothing before a score)."""
    picks = games.get(game).roster.constructors > 0
    async with in_transaction() as conn:
        # One transaction: a reader sees the previous counts or these, never neither. A big
        # batch statement, as rescoring's: hash in memory, and skip JIT compilation.
        await conn.execute_script("SET LOCAL work_mem = '256MB'; SET LOCAL jit = off")
        await conn.execute_query(
            "DELETE FROM asset_ownership WHERE season_id = $1 AND game = $2", [season, game]
        )
        await conn.execute_query(BUILD_SQL, [season, game, picks])


async def has_ownership(*, season: int, game: str) -> bool:
    """Tell whether a season's ownership counts of one game were built."""
    return await AssetOwnership.filter(season_id=season, game=game).exists()


async def count_league(*, league_id: int, game: str, race_id: int) -> dict[str, dict[str, int]]:
    """Count a league's members whose lineups scored a race, and who held each asset."""
    picks = games.get(game).roster.constructors > 0
    rows = await connections.get("default").execute_query_dict(
        LEAGUE_SQL, [race_id, game, picks, league_id]
    )
    counts: dict[str, dict[str, int]] = {"teams": {}, "drivers": {}, "constructors": {}}
    names = ("teams", "drivers", "constructors")
    for row in rows:
        counts[names[row["kind"]]][str(row["asset_id"])] = int(row["n"])
    return counts

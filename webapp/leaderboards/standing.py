"""Each season's standing after every scored race, built by the results pipeline for the charts.

The standing is a histogram: per scored round, how many teams of a game stand on each running
total. A team's overall rank after a race is one plus the teams above its total then, so every
team page's rank chart reads it instead of ranking the whole season. It is one set-based pass
over the season's scores (teams by scored races), seconds at 100,000 teams, so it is built
where boards are: after each rescoring and by the nightly rebuild, never on a read.
"""

from __future__ import annotations

import json

from tortoise import connections

from webapp import cache

# Kept until the next build overwrites it: only the pipeline and the rebuild write it.
STANDINGS = cache.Namespace("standing", ttl=None)
# The stamp names the value's shape, so a reader never misreads an older layout.
SHAPE = "v1"

# $1 season, $2 game (its scoring system too): `scored` is the season's races with scores, in
# round order. How many teams of the game stand on each running total after every scored race
# (a team without a score in a race adds 0 for it).
TOTALS_HISTOGRAM_SQL = """
WITH scored AS (
    SELECT r.id, r.round FROM races r
    WHERE r.season_id = $1 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM team_race_scores s
                  WHERE s.race_id = r.id AND s.scoring_system = $2)
),
grid AS (
    SELECT t.id AS team_id, r.round, COALESCE(s.points, 0) AS points
    FROM teams t CROSS JOIN scored r
    LEFT JOIN team_race_scores s
      ON s.team_id = t.id AND s.race_id = r.id AND s.scoring_system = $2
    WHERE t.season_id = $1 AND t.game = $2
),
running AS (
    SELECT round, SUM(points) OVER (PARTITION BY team_id ORDER BY round) AS total FROM grid
)
SELECT round, total::int, COUNT(*)::int AS teams
FROM running GROUP BY round, total ORDER BY round, total DESC
"""

Standing = dict[str, list[list[int]]]


def standing_key(season: int, game: str) -> cache.Key:
    """Return where a season's standing of one game is kept."""
    return STANDINGS.key(season, game)


async def build_standing(*, season: int, game: str) -> Standing:
    """Count the game's teams on each running total after every scored race, and keep it."""
    counts: Standing = {}
    rows = await connections.get("default").execute_query_dict(TOTALS_HISTOGRAM_SQL, [season, game])
    for row in rows:
        counts.setdefault(str(row["round"]), []).append([row["total"], row["teams"]])
    payload = json.dumps(counts, separators=(",", ":")).encode()
    await cache.store([(standing_key(season, game), SHAPE, payload)])
    return counts


async def read_standing(*, season: int, game: str) -> Standing | None:
    """Return the standing the pipeline last built, None when there is none (it never builds)."""
    found = await cache.lookup([], [standing_key(season, game)])
    payload = found.fresh(0, SHAPE)
    if payload is None:
        return None
    standing: Standing = json.loads(payload)
    return standing


def rank_after(standing: Standing, *, round_: int, total: int) -> tuple[int, int] | None:
    """Return (rank, teams) of a running total after a round, None when the round is unknown."""
    counts = standing.get(str(round_))
    if counts is None:
        return None
    return 1 + sum(n for t, n in counts if t > total), sum(n for _, n in counts)

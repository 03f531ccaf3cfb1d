"""Build leaderboard sorted sets from PostgreSQL, the source of truth."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from prometheus_client import Counter, Histogram
from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from webapp.leaderboards.boards import Scope, encode, marker, meta_key

BATCH = 10_000
BOARD_BUILDS = Counter(
    "paddock_leaderboard_builds_total", "Leaderboards rebuilt from PostgreSQL by kind", ["board"]
)
BOARD_BUILD_SECONDS = Histogram(
    "paddock_leaderboard_build_duration_seconds",
    "Time to rebuild one leaderboard from PostgreSQL",
    ["board"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

SCORED_RACES_SQL = """
SELECT r.id FROM races r
WHERE r.season_id = $1
  AND EXISTS (SELECT 1 FROM team_race_scores s
              WHERE s.race_id = r.id AND s.scoring_system = $2)
ORDER BY r.round
"""

# Each returns (team_id, points, points before the latest scored race $2). A game's name is
# its scoring system's, so $3 picks both the teams of the game and their scores.
OVERALL_SQL = """
SELECT t.id, t.points, t.points - COALESCE(s.points, 0)
FROM teams t
LEFT JOIN team_race_scores s
  ON s.team_id = t.id AND s.race_id = $2 AND s.scoring_system = $3
WHERE t.season_id = $1 AND t.game = $3
"""
LEAGUE_SQL = """
SELECT m.team_id, COALESCE(SUM(s.points), 0)::int,
       COALESCE(SUM(s.points) FILTER (WHERE s.race_id <> $2), 0)::int
FROM league_members m
LEFT JOIN team_race_scores s ON s.team_id = m.team_id AND s.scoring_system = $3
WHERE m.league_id = $1
GROUP BY m.team_id
"""
# Each returns (team_id, points) for one race.
RACE_SQL = """
SELECT s.team_id, s.points FROM team_race_scores s
WHERE s.race_id = $1 AND s.scoring_system = $2
"""
LEAGUE_RACE_SQL = """
SELECT s.team_id, s.points FROM team_race_scores s
JOIN league_members m ON m.team_id = s.team_id AND m.league_id = $3
WHERE s.race_id = $1 AND s.scoring_system = $2
"""


async def scored_races(*, season: int, system: str) -> list[int]:
    """Return the ids of a season's races that have scores under `system`, in round order."""
    rows = await connections.get("default").execute_query_dict(SCORED_RACES_SQL, [season, system])
    return [int(row["id"]) for row in rows]


async def season_races(redis: Redis, *, season: int, system: str) -> list[int]:
    """Return the scored race ids of a season, caching the list in Redis."""
    field = f"races:{system}"
    cached = await redis.hget(meta_key(season), field)
    if cached is not None:
        return list(json.loads(cached))
    races = await scored_races(season=season, system=system)
    # HSETNX: a rescoring that wrote a newer list meanwhile wins.
    await redis.hsetnx(meta_key(season), field, json.dumps(races))
    return races


def previous_race(races: Sequence[int], race_id: int) -> int | None:
    """Return the scored race before `race_id` in round order, if any."""
    if race_id not in races:
        return None
    index = races.index(race_id)
    return races[index - 1] if index > 0 else None


def board_query(scope: Scope, races: Sequence[int]) -> tuple[str, list[Any]]:
    """Return the SQL and parameters that list a board's teams and points."""
    latest = races[-1] if races else 0
    if scope.race_id is not None:
        if scope.league_id is not None:
            return LEAGUE_RACE_SQL, [scope.race_id, scope.system, scope.league_id]
        return RACE_SQL, [scope.race_id, scope.system]
    if scope.league_id is not None:
        return LEAGUE_SQL, [scope.league_id, latest, scope.system]
    return OVERALL_SQL, [scope.season, latest, scope.system]


async def _stream(sql: str, params: list[Any]) -> AsyncIterator[list[Any]]:
    """Yield the rows of a query in batches, without holding them all in memory."""
    async with in_transaction() as conn, conn.acquire_connection() as raw:
        batch: list[Any] = []
        async for record in raw.cursor(sql, *params, prefetch=BATCH):
            batch.append(record)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


async def build_board(redis: Redis, scope: Scope, races: Sequence[int]) -> int:
    """Rebuild one board (and its `prev` set for season boards) from PostgreSQL."""
    with_prev = scope.race_id is None and len(races) >= 2
    targets = [scope.key()] + ([scope.prev_key()] if with_prev else [])
    temps = [f"{key}:build:{uuid.uuid4().hex}" for key in targets]
    sql, params = board_query(scope, races)
    count = 0
    started = time.perf_counter()
    kind = "league" if scope.league_id is not None else "race" if scope.race_id else "overall"
    try:
        async for batch in _stream(sql, params):
            pipe = redis.pipeline(transaction=False)
            pipe.zadd(temps[0], {str(row[0]): encode(row[1], row[0]) for row in batch})
            if with_prev:
                pipe.zadd(temps[1], {str(row[0]): encode(row[2], row[0]) for row in batch})
            await pipe.execute()
            count += len(batch)
        async with redis.pipeline(transaction=True) as pipe:
            for temp, key in zip(temps, targets, strict=True):
                if count:
                    pipe.rename(temp, key)
                else:
                    pipe.delete(key)
                pipe.set(marker(key), "1")
                if scope.ttl:
                    pipe.expire(key, scope.ttl)
                    pipe.expire(marker(key), scope.ttl)
            await pipe.execute()
    finally:
        await redis.delete(*temps)
    BOARD_BUILDS.labels(kind).inc()
    BOARD_BUILD_SECONDS.labels(kind).observe(time.perf_counter() - started)
    return count

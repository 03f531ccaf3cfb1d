"""Keep leaderboards in step with PostgreSQL: after rescoring, on demand, and in full."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from tortoise import connections
from tortoise.transactions import in_transaction

from webapp import cache
from webapp.leaderboards.boards import Scope, encode, marker, meta_key
from webapp.leaderboards.build import build_board, scored_races
from webapp.redis import get_redis
from webapp.scoring.systems import DEFAULT_SYSTEM

if TYPE_CHECKING:
    from webapp.scoring.rescore import RescoreResult

# Past this many changed teams a full rebuild costs no more than updating members one by one.
INCREMENTAL_LIMIT = 10_000
# Namespace of the advisory lock held while a season's boards are written.
LOCK_BOARDS = zlib.crc32(b"paddock.leaderboards") & 0x7FFFFFFF

CHANGED_TEAMS_SQL = """
SELECT t.id, t.points, t.points - COALESCE(sl.points, 0) AS prev_points, sr.points AS race_points
FROM teams t
LEFT JOIN team_race_scores sl ON sl.team_id = t.id AND sl.race_id = $2 AND sl.scoring_system = $3
LEFT JOIN team_race_scores sr ON sr.team_id = t.id AND sr.race_id = $4 AND sr.scoring_system = $3
WHERE t.id = ANY($1::int[])
"""


@asynccontextmanager
async def season_lock(season: int) -> AsyncIterator[None]:
    """Serialise writers of a season's boards; PostgreSQL frees the lock if its holder dies."""
    async with in_transaction() as conn:
        await conn.execute_query_dict("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_BOARDS, season])
        yield


async def ensure_built(redis: Redis, scope: Scope, races: Sequence[int]) -> None:
    """Build a board from PostgreSQL unless another reader or writer just did."""
    if scope.league_id is not None:
        # Lazily built, short-lived, small: no lock, the generation in the name keeps it honest.
        await build_board(redis, scope, races)
        return
    async with season_lock(scope.season):
        keys = [scope.key()]
        if scope.race_id is None and len(races) >= 2:
            keys.append(scope.prev_key())
        if await redis.exists(*[marker(key) for key in keys]) < len(keys):
            await build_board(redis, scope, races)


async def _update_members(
    redis: Redis, *, season: int, race_id: int, team_ids: list[int], races: list[int]
) -> None:
    """Move changed teams on the overall season board and the race board."""
    latest = races[-1] if races else 0
    rows = await connections.get("default").execute_query_dict(
        CHANGED_TEAMS_SQL, [team_ids, latest, DEFAULT_SYSTEM, race_id]
    )
    overall = Scope(season, DEFAULT_SYSTEM)
    race = Scope(season, DEFAULT_SYSTEM, race_id=race_id)
    found = {int(row["id"]) for row in rows}
    gone = [str(team_id) for team_id in team_ids if team_id not in found]
    async with redis.pipeline(transaction=True) as pipe:
        for row in rows:
            team_id = int(row["id"])
            pipe.zadd(overall.key(), {str(team_id): encode(row["points"], team_id)})
            if len(races) >= 2:
                pipe.zadd(overall.prev_key(), {str(team_id): encode(row["prev_points"], team_id)})
            if row["race_points"] is None:
                pipe.zrem(race.key(), str(team_id))
            else:
                pipe.zadd(race.key(), {str(team_id): encode(row["race_points"], team_id)})
        if gone:
            for key in (overall.key(), overall.prev_key(), race.key()):
                pipe.zrem(key, *gone)
        await pipe.execute()


async def refresh_after_rescore(result: RescoreResult) -> None:
    """Bring the season's boards in line with a rescoring that just committed."""
    redis = get_redis()
    season, system = result.season, result.system
    meta = meta_key(season)
    if system == DEFAULT_SYSTEM:
        async with season_lock(season):
            cached = await redis.hget(meta, f"races:{system}")
            races = await scored_races(season=season, system=system)
            overall = Scope(season, system)
            race = Scope(season, system, race_id=result.race_id)
            needed = [overall.key()] + ([overall.prev_key()] if len(races) >= 2 else [])
            built = await redis.exists(*[marker(k) for k in needed]) == len(needed)
            small = len(result.touched_team_ids) <= INCREMENTAL_LIMIT
            same_races = cached is not None and json.loads(cached) == races
            if built and small and same_races and await redis.exists(marker(race.key())):
                if result.touched_team_ids:
                    await _update_members(
                        redis,
                        season=season,
                        race_id=result.race_id,
                        team_ids=result.touched_team_ids,
                        races=races,
                    )
            else:
                await build_board(redis, overall, races)
                await build_board(redis, race, races)
            await _publish_meta(redis, season=season, system=system, races=races)
    else:
        races = await scored_races(season=season, system=system)
        await _publish_meta(redis, season=season, system=system, races=races)


async def _publish_meta(redis: Redis, *, season: int, system: str, races: list[int]) -> None:
    """Record the scored races and bump the board generation so league boards rebuild."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(meta_key(season), f"races:{system}", json.dumps(races))
        pipe.incr(cache.board_generation(season).redis_key)
        await pipe.execute()


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a full rebuild wrote."""

    season: int
    teams: int
    races: int


async def rebuild_leaderboards(*, season: int) -> RebuildReport:
    """Rebuild every rescoring-kept board of a season from PostgreSQL (maintenance task)."""
    redis = get_redis()
    races = await scored_races(season=season, system=DEFAULT_SYSTEM)
    async with season_lock(season):
        teams = await build_board(redis, Scope(season, DEFAULT_SYSTEM), races)
        for race_id in races:
            await build_board(redis, Scope(season, DEFAULT_SYSTEM, race_id=race_id), races)
        await redis.delete(meta_key(season))
        await _publish_meta(redis, season=season, system=DEFAULT_SYSTEM, races=races)
    return RebuildReport(season=season, teams=teams, races=len(races))


async def add_team_to_boards(*, team_id: int) -> None:
    """Put a team on its season's overall board at its current points (call after creating)."""
    redis = get_redis()
    rows = await connections.get("default").execute_query_dict(
        "SELECT season_id FROM teams WHERE id = $1", [team_id]
    )
    if not rows:
        return
    season = int(rows[0]["season_id"])
    overall = Scope(season, DEFAULT_SYSTEM)
    if not await redis.exists(marker(overall.key())):
        # The next read builds the whole board, this team included.
        await cache.bump(cache.board_generation(season))
        return
    cached = await redis.hget(meta_key(season), f"races:{DEFAULT_SYSTEM}")
    races = (
        json.loads(cached) if cached else await scored_races(season=season, system=DEFAULT_SYSTEM)
    )
    rows = await connections.get("default").execute_query_dict(
        CHANGED_TEAMS_SQL, [[team_id], races[-1] if races else 0, DEFAULT_SYSTEM, 0]
    )
    async with redis.pipeline(transaction=True) as pipe:
        for row in rows:
            pipe.zadd(overall.key(), {str(team_id): encode(row["points"], team_id)})
            if len(races) >= 2:
                pipe.zadd(overall.prev_key(), {str(team_id): encode(row["prev_points"], team_id)})
        # Cached pages count the teams: after the board moves, so do their stamps.
        pipe.incr(cache.board_generation(season).redis_key)
        await pipe.execute()


async def league_membership_changed(*, league_id: int) -> None:
    """Make the league's boards rebuild on next read (call after a team joins or leaves)."""
    await cache.bump(cache.league_generation(league_id))

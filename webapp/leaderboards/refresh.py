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

from webapp import cache, events, games
from webapp.leaderboards.boards import Scope, encode, marker, meta_key
from webapp.leaderboards.build import build_board, scored_races
from webapp.leaderboards.ownership import build_ownership, has_ownership
from webapp.leaderboards.standing import build_standing, standing_key
from webapp.redis import get_redis

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
WHERE t.id = ANY($1::int[]) AND t.game = $3
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
    redis: Redis,
    *,
    season: int,
    system: str,
    race_id: int,
    team_ids: list[int],
    races: list[int],
) -> None:
    """Move changed teams on the game's overall season board and race board."""
    latest = races[-1] if races else 0
    rows = await connections.get("default").execute_query_dict(
        CHANGED_TEAMS_SQL, [team_ids, latest, system, race_id]
    )
    overall = Scope(season, system)
    race = Scope(season, system, race_id=race_id)
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
    """Bring the season's boards of the rescored game in line with a rescoring that committed."""
    redis = get_redis()
    season, system = result.season, result.system
    meta = meta_key(season)
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
                    system=system,
                    race_id=result.race_id,
                    team_ids=result.touched_team_ids,
                    races=races,
                )
        else:
            await build_board(redis, overall, races)
            await build_board(redis, race, races)
        # Before the generation moves, so charts rebuilt under the new one read this standing;
        # a rescoring that wrote no score leaves the one there.
        kept = same_races and not result.touched_team_ids
        if not (kept and await redis.exists(standing_key(season, system).redis_key)):
            await build_standing(season=season, game=system)
        # Ownership likewise: counted from the score rows of the season's latest scored race.
        if not (kept and await has_ownership(season=season, game=system)):
            await build_ownership(season=season, game=system)
        await _publish_meta(redis, season=season, system=system, races=races)


async def _publish_meta(redis: Redis, *, season: int, system: str, races: list[int]) -> None:
    """Record the scored races and bump the board generation so league boards rebuild."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(meta_key(season), f"races:{system}", json.dumps(races))
        pipe.incr(cache.board_generation(season).redis_key)
        # Every process's kept pages go at once (the pipeline runs in a worker): a rescoring
        # is rare, and a correction must not show a second late. A new team bumps only here.
        dropped = events.dropped_event(cache.board_generation(season).name)
        pipe.publish(events.control_channel(), events.encode(dropped))
        await pipe.execute()
    cache.drop_local(cache.board_generation(season))


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a full rebuild wrote."""

    season: int
    teams: int
    races: int


async def rebuild_leaderboards(*, season: int) -> RebuildReport:
    """Rebuild every rescoring-kept board of a season, for every game (maintenance task)."""
    redis = get_redis()
    teams = races_count = 0
    async with season_lock(season):
        await redis.delete(meta_key(season))
        for game in games.all():
            races = await scored_races(season=season, system=game.name)
            teams += await build_board(redis, Scope(season, game.name), races)
            for race_id in races:
                await build_board(redis, Scope(season, game.name, race_id=race_id), races)
            await build_standing(season=season, game=game.name)
            await build_ownership(season=season, game=game.name)
            races_count = max(races_count, len(races))
            await _publish_meta(redis, season=season, system=game.name, races=races)
    return RebuildReport(season=season, teams=teams, races=races_count)


async def add_team_to_boards(*, team_id: int) -> None:
    """Put a team on its game's overall board at its current points (call after creating)."""
    redis = get_redis()
    rows = await connections.get("default").execute_query_dict(
        "SELECT season_id, game FROM teams WHERE id = $1", [team_id]
    )
    if not rows:
        return
    season, system = int(rows[0]["season_id"]), str(rows[0]["game"])
    overall = Scope(season, system)
    if not await redis.exists(marker(overall.key())):
        # The next read builds the whole board, this team included.
        await cache.bump(cache.board_generation(season))
        return
    cached = await redis.hget(meta_key(season), f"races:{system}")
    races = json.loads(cached) if cached else await scored_races(season=season, system=system)
    rows = await connections.get("default").execute_query_dict(
        CHANGED_TEAMS_SQL, [[team_id], races[-1] if races else 0, system, 0]
    )
    async with redis.pipeline(transaction=True) as pipe:
        for row in rows:
            pipe.zadd(overall.key(), {str(team_id): encode(row["points"], team_id)})
            if len(races) >= 2:
                pipe.zadd(overall.prev_key(), {str(team_id): encode(row["prev_points"], team_id)})
        # Cached pages count the teams: after the board moves, so do their stamps.
        pipe.incr(cache.board_generation(season).redis_key)
        await pipe.execute()
    cache.drop_local(cache.board_generation(season))


async def league_membership_changed(*, league_id: int) -> None:
    """Make the league's boards rebuild on next read (call after a team joins or leaves)."""
    await cache.bump(cache.league_generation(league_id))

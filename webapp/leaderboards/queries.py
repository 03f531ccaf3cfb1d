"""Read leaderboards: pages with ranks, rank changes and the caller's own teams."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, replace

from redis.asyncio import Redis
from tortoise import connections

from webapp.catalogue.queries import current_season
from webapp.errors import AppError
from webapp.leaderboards.boards import (
    RawPage,
    Scope,
    Standing,
    league_gen_key,
    members_key,
    read_page,
)
from webapp.leaderboards.build import previous_race, season_meta
from webapp.leaderboards.refresh import add_team_to_boards, ensure_built
from webapp.models import League, LeagueMember, Race, Season
from webapp.redis import get_redis
from webapp.scoring.systems import DEFAULT_SYSTEM

NAMES_SQL = """
SELECT t.id, t.name, u.id AS owner_id, u.username
FROM teams t JOIN users u ON u.id = t.owner_id
WHERE t.id = ANY($1::int[])
"""


# Changes whenever a team joins or leaves: part of a league board's name.
MEMBERS_SQL = """
SELECT count(*) AS n, COALESCE(max(id), 0) AS top FROM league_members WHERE league_id = $1
"""
MY_TEAMS_SQL = "SELECT id FROM teams WHERE owner_id = $1 AND season_id = $2 ORDER BY id"
MY_LEAGUE_TEAMS_SQL = """
SELECT m.team_id FROM league_members m JOIN teams t ON t.id = m.team_id
WHERE t.owner_id = $1 AND m.league_id = $2 ORDER BY m.team_id
"""
PAGE_TTL_SECONDS = 30
MEMBERS_TTL_SECONDS = 5
SEASON_KEY = "lb:current-season"


async def _current_season() -> int:
    """Return the current season, remembered in Redis for a minute (asked on every read)."""
    redis = get_redis()
    cached = await redis.get(SEASON_KEY)
    if cached is not None:
        return int(cached)
    season = await current_season()
    await redis.set(SEASON_KEY, season, ex=60)
    return season


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One line of a leaderboard as shown to people and clients."""

    rank: int
    team_id: int
    team_name: str
    owner_id: int
    owner_username: str
    points: int
    rank_change: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """A page of a leaderboard, its size, and the caller's teams on it."""

    season: int
    items: list[BoardRow]
    total: int
    mine: list[BoardRow]
    offset: int
    limit: int
    race: Race | None = None
    league: League | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A board with its generations filled in, and the board its rank changes compare with."""

    scope: Scope
    races: list[int]
    compare: Scope | None
    prev_key: str | None


async def _league_generation(redis: Redis, league_id: int) -> str:
    """Return the league's membership generation: its counter and its members' signature."""
    # Joining and leaving bump the counter, which shows at once; the signature (counted in
    # PostgreSQL, remembered a few seconds) also catches changes that do not, such as a
    # team deleted with its memberships.
    raw_counter, remembered = await redis.mget(league_gen_key(league_id), members_key(league_id))
    counter = int(raw_counter or 0)
    if remembered is not None:
        remembered_counter, signature = str(remembered).split(":", 1)
        if int(remembered_counter) == counter:
            return f"{counter}.{signature}"
    rows = await connections.get("default").execute_query_dict(MEMBERS_SQL, [league_id])
    signature = f"{rows[0]['n']}.{rows[0]['top']}"
    await redis.set(members_key(league_id), f"{counter}:{signature}", ex=MEMBERS_TTL_SECONDS)
    return f"{counter}.{signature}"


async def _resolve(scope: Scope) -> Resolved:
    """Fill in a board's generations and find what its rank changes compare with."""
    redis = get_redis()
    races, gen = await season_meta(redis, season=scope.season, system=scope.system)
    league_gen = "0"
    if scope.league_id is not None:
        league_gen = await _league_generation(redis, scope.league_id)
    scope = replace(scope, season_gen=gen, league_gen=league_gen)
    if scope.race_id is None:
        compare = scope if len(races) >= 2 else None
        return Resolved(scope, races, compare, scope.prev_key() if compare else None)
    before = previous_race(races, scope.race_id)
    compare = replace(scope, race_id=before) if before is not None else None
    return Resolved(scope, races, compare, compare.key() if compare else None)


async def _read(board: Resolved, *, offset: int, limit: int, mine_ids: list[int]) -> RawPage:
    """Read a page, building the board (and the one it compares with) when missing."""
    redis = get_redis()
    for _ in range(3):
        page = await read_page(
            redis,
            key=board.scope.key(),
            prev_key=board.prev_key,
            offset=offset,
            limit=limit,
            mine_ids=mine_ids,
        )
        if page is not None:
            return page
        await ensure_built(redis, board.scope, board.races)
        if board.compare is not None and board.compare is not board.scope:
            await ensure_built(redis, board.compare, board.races)
    raise RuntimeError(f"leaderboard {board.scope.key()} could not be built")


async def _rows(standings: list[Standing]) -> list[BoardRow]:
    """Attach team and owner names, read from PostgreSQL so renames show at once."""
    if not standings:
        return []
    rows = await connections.get("default").execute_query_dict(
        NAMES_SQL, [[s.team_id for s in standings]]
    )
    names = {int(row["id"]): row for row in rows}
    return [
        BoardRow(
            rank=s.rank,
            team_id=s.team_id,
            team_name=names[s.team_id]["name"],
            owner_id=int(names[s.team_id]["owner_id"]),
            owner_username=names[s.team_id]["username"],
            points=s.points,
            rank_change=s.rank_change,
        )
        for s in standings
        if s.team_id in names  # a team deleted since the board was built
    ]


async def _user_team_ids(*, user_id: int | None, season: int, league_id: int | None) -> list[int]:
    """Return the caller's teams that belong on the board."""
    if user_id is None:
        return []
    # Plain SQL: asked on every read by a signed-in player, and building the ORM's query
    # cost more than running it.
    if league_id is not None:
        sql, args = MY_LEAGUE_TEAMS_SQL, [user_id, league_id]
    else:
        sql, args = MY_TEAMS_SQL, [user_id, season]
    _, rows = await connections.get("default").execute_query(sql, args)
    return [int(row[0]) for row in rows]


def _encode(total: int, items: list[BoardRow]) -> str:
    return json.dumps([total, [astuple(row) for row in items]])


def _decode(text: str) -> tuple[int, list[BoardRow]]:
    total, items = json.loads(text)
    return int(total), [BoardRow(*item) for item in items]


async def _page(
    scope: Scope, *, offset: int, limit: int, user_id: int | None
) -> tuple[int, list[BoardRow], list[BoardRow]]:
    """Return (total, rows, my rows) of a page; both parts are cached per generation."""
    redis = get_redis()
    for attempt in range(2):
        board = await _resolve(scope)
        # Every rescoring or membership change bumps a generation, so the keys move on (a
        # new team bumps it too); the TTL bounds how long a renamed team keeps its old name.
        cache_key = f"{board.scope.key()}:page:g{board.scope.season_gen}:{offset}:{limit}"
        if user_id is None:
            cached, cached_mine = await redis.get(cache_key), None
        else:
            cached, cached_mine = await redis.mget(cache_key, _mine_key(board, user_id))
            if cached is not None and cached_mine is not None:
                total, items = _decode(str(cached))
                return total, items, _decode(str(cached_mine))[1]
        mine_ids = await _user_team_ids(
            user_id=user_id, season=scope.season, league_id=scope.league_id
        )
        if cached is not None:
            total, items = _decode(str(cached))
            if not mine_ids:
                await _remember_mine(redis, user_id, board, [])
                return total, items, []
            raw = await _read(board, offset=0, limit=0, mine_ids=mine_ids)
        else:
            raw = await _read(board, offset=offset, limit=limit, mine_ids=mine_ids)
            total, items = raw.total, await _rows(raw.rows)
            await redis.set(cache_key, _encode(total, items), ex=PAGE_TTL_SECONDS)
        missing = set(mine_ids) - {s.team_id for s in raw.mine}
        if not missing or scope.race_id is not None or attempt:
            mine = await _rows(raw.mine)
            await _remember_mine(redis, user_id, board, mine)
            return total, items, mine
        # Every team of the season (or league) belongs on a season board: it went stale.
        if scope.league_id is None:
            for team_id in sorted(missing):
                await add_team_to_boards(team_id=team_id)
        else:
            await redis.incr(league_gen_key(scope.league_id))
    raise AssertionError("unreachable")


def _mine_key(board: Resolved, user_id: int) -> str:
    """Return the key of a player's own rows of a board in its current generation."""
    return f"{board.scope.key()}:mine:g{board.scope.season_gen}:{user_id}"


async def _remember_mine(
    redis: Redis, user_id: int | None, board: Resolved, mine: list[BoardRow]
) -> None:
    """Keep a player's own rows of a board for as long as its generation lasts (or the TTL)."""
    if user_id is not None:
        await redis.set(_mine_key(board, user_id), _encode(len(mine), mine), ex=PAGE_TTL_SECONDS)


async def overall_leaderboard(
    *,
    season: int | None = None,
    race_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    user_id: int | None = None,
) -> Leaderboard:
    """Return a page of the overall table of a season, or of one race."""
    race = None
    if race_id is not None:
        race = await Race.get_or_none(id=race_id)
        if race is None:
            raise AppError.not_found("No such race")
        race_season = race.season_id
        if season is not None and season != race_season:
            raise AppError(
                "season_mismatch",
                f"Race {race_id} belongs to season {race_season}, not {season}",
                field="race_id",
            )
        season = race_season
    if season is None:
        season = await _current_season()
    scope = Scope(season, DEFAULT_SYSTEM, race_id=race_id)
    total, items, mine = await _page(scope, offset=offset, limit=limit, user_id=user_id)
    if total == 0 and not await Season.exists(year=season):
        raise AppError.not_found(f"No season {season}")
    return Leaderboard(season, items, total, mine, offset, limit, race=race)


async def visible_league(*, league_id: int, user_id: int | None) -> League:
    """Return a league the caller may see: public, or private with one of their teams in it."""
    league = await League.get_or_none(id=league_id)
    if league is None:
        raise AppError.not_found("No such league")
    if not league.is_public and (
        user_id is None
        or (
            league.owner_id != user_id
            and not await LeagueMember.exists(league_id=league_id, team__owner_id=user_id)
        )
    ):
        raise AppError.not_found("No such league")
    return league


async def league_leaderboard(
    *,
    league_id: int,
    race_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    user_id: int | None = None,
) -> Leaderboard:
    """Return a page of a league's table for the season, or for one race."""
    league = await visible_league(league_id=league_id, user_id=user_id)
    season = league.season_id
    race = None
    if race_id is not None:
        race = await Race.get_or_none(id=race_id, season_id=season)
        if race is None:
            raise AppError.not_found("No such race in this league's season")
    scope = Scope(season, league.scoring_system, league_id=league_id, race_id=race_id)
    total, items, mine = await _page(scope, offset=offset, limit=limit, user_id=user_id)
    return Leaderboard(season, items, total, mine, offset, limit, race=race, league=league)

"""Read leaderboards: pages with ranks, rank changes and the caller's own teams."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tortoise import connections

from webapp import cache, games
from webapp.catalogue.queries import remembered_current_season
from webapp.errors import AppError
from webapp.leaderboards.boards import RawPage, Scope, Standing, read_page
from webapp.leaderboards.build import previous_race, season_races
from webapp.leaderboards.refresh import ensure_built
from webapp.models import League, Race, Season
from webapp.redis import get_redis
from webapp.visibility import may_see_league

NAMES_SQL = """
SELECT t.id, t.name, u.id AS owner_id, u.username
FROM teams t JOIN users u ON u.id = t.owner_id
WHERE t.id = ANY($1::int[])
"""
# With the league's generation, the members' count and newest membership: a league board's
# stamp, so even a membership written behind the leagues' back shows within seconds.
MEMBERS_SQL = """
SELECT count(*) AS n, COALESCE(max(id), 0) AS top FROM league_members WHERE league_id = $1
"""
MY_TEAMS_SQL = "SELECT id FROM teams WHERE owner_id = $1 AND season_id = $2 ORDER BY id"
MY_LEAGUE_TEAMS_SQL = """
SELECT m.team_id FROM league_members m JOIN teams t ON t.id = m.team_id
WHERE t.owner_id = $1 AND m.league_id = $2 ORDER BY m.team_id
"""
MEMBERS = cache.Namespace("league-members", ttl=5)


def stamp_generations(*, season: int, league_id: int | None) -> list[cache.Generation]:
    """Return the generations a board's stamp is made of."""
    gens = [cache.board_generation(season)]
    if league_id is not None:
        gens.append(cache.league_generation(league_id))
    return gens


def stamp_keys(*, league_id: int | None) -> list[cache.Key]:
    """Return the cached values a board's stamp is made of (a league's members signature)."""
    return [] if league_id is None else [MEMBERS.key(league_id)]


async def board_stamp(found: cache.Lookup, *, league_id: int | None) -> tuple[int, str]:
    """Return (board generation, league stamp) from a lookup of a board's stamp parts."""
    season_gen = found.numbers[0]
    if league_id is None:
        return season_gen, "0"
    counter = str(found.numbers[1])
    signature = found.fresh(0, counter)
    if signature is None:
        # Every reader of a busy league finds it stale together: one of them counts.
        signature = await cache.once(
            ("league-members", league_id, counter), lambda: _members_signature(league_id, counter)
        )
    return season_gen, f"{counter}.{signature.decode()}"


async def _members_signature(league_id: int, counter: str) -> bytes:
    rows = await connections.get("default").execute_query_dict(MEMBERS_SQL, [league_id])
    signature = f"{rows[0]['n']}.{rows[0]['top']}".encode()
    await cache.store([(MEMBERS.key(league_id), counter, signature)])
    return signature


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
    """A page of a leaderboard of one game, its size, and the caller's teams on it."""

    season: int
    items: list[BoardRow]
    total: int
    mine: list[BoardRow]
    offset: int
    limit: int
    race: Race | None = None
    league: League | None = None
    game: str = games.DEFAULT_GAME


@dataclass(frozen=True, slots=True)
class Resolved:
    """A board with its generations filled in, and the board its rank changes compare with."""

    scope: Scope
    races: list[int]
    compare: Scope | None
    prev_key: str | None


async def _resolve(scope: Scope) -> Resolved:
    """Fill in a board's generations and find what its rank changes compare with."""
    found = await cache.lookup(
        stamp_generations(season=scope.season, league_id=scope.league_id),
        stamp_keys(league_id=scope.league_id),
    )
    gen, league_gen = await board_stamp(found, league_id=scope.league_id)
    races = await season_races(get_redis(), season=scope.season, system=scope.system)
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


async def _page(
    scope: Scope, *, offset: int, limit: int, user_id: int | None
) -> tuple[int, list[BoardRow], list[BoardRow]]:
    """Return (total, rows, my rows) of a page, read from the board's sorted sets."""
    # Not cached here: the read model's edge (webapp.leaderboards.bodies) keeps ready bodies.
    # A team missing from a board is not put there by a read: teams go on their season's
    # board when they are created, and a board whose keys are gone is rebuilt in full.
    board = await _resolve(scope)
    mine_ids = await _user_team_ids(user_id=user_id, season=scope.season, league_id=scope.league_id)
    raw = await _read(board, offset=offset, limit=limit, mine_ids=mine_ids)
    return raw.total, await _rows(raw.rows), await _rows(raw.mine)


async def overall_leaderboard(
    *,
    season: int | None = None,
    race_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    user_id: int | None = None,
    configured_season: int | None = None,
    game: str = games.DEFAULT_GAME,
) -> Leaderboard:
    """Return a page of a game's overall table of a season, or of one race."""
    played = games.get(game).name
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
        season = await remembered_current_season(configured=configured_season)
    scope = Scope(season, played, race_id=race_id)
    total, items, mine = await _page(scope, offset=offset, limit=limit, user_id=user_id)
    if total == 0 and not await Season.exists(year=season):
        raise AppError.not_found(f"No season {season}")
    return Leaderboard(season, items, total, mine, offset, limit, race=race, game=played)


async def visible_league(*, league_id: int, user_id: int | None) -> League:
    """Return a league the caller may see: public, or private with one of their teams in it."""
    league = await League.get_or_none(id=league_id)
    if league is None or not await may_see_league(league=league, user_id=user_id):
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
    # A league's board is of its game: only teams of that game are in it.
    scope = Scope(season, league.game, league_id=league_id, race_id=race_id)
    total, items, mine = await _page(scope, offset=offset, limit=limit, user_id=user_id)
    return Leaderboard(
        season, items, total, mine, offset, limit, race=race, league=league, game=league.game
    )

"""Ready-to-send leaderboard bodies, encoded once per board stamp and shared by every reader.

A board's stamp is made of its season's board generation (rescoring, new teams, renames)
and, for a league, the league's membership stamp. A cached read is one MGET of those
generations, the encoded page and (signed in) the reader's own rows; when both bodies carry
the current stamp they are joined as bytes and sent. Otherwise the board is read from its
sorted sets (the domain read, which also checks what the reader may see), the missing
bodies are encoded and stored, and the next reader of that stamp gets them ready.

A body is never stored under a stamp newer than what it shows: the stamp is read first.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from typing import Protocol

from tortoise import connections

from webapp import cache, games
from webapp.catalogue.queries import remembered_current_season
from webapp.leaderboards.queries import (
    Leaderboard,
    board_stamp,
    league_leaderboard,
    overall_leaderboard,
    stamp_generations,
    stamp_keys,
)
from webapp.models import League

PAGES = cache.Namespace("board-page", ttl=600)
MINE = cache.Namespace("board-mine", ttl=600)
# A race never moves to another season.
RACE_SEASONS = cache.Local("race-season", seconds=3600)
# (season, is public) of a league: neither changes while the league exists.
LEAGUES = cache.Local("league-facts", seconds=600)


class BodyFormat(Protocol):
    """How a board is encoded: a shared part, the reader's own part, and how they join."""

    @property
    def name(self) -> str:
        """Name the encoding in cache keys (with whatever else shapes the shared part)."""
        ...

    @property
    def empty_mine(self) -> bytes:
        """Return the own part of an anonymous reader."""
        ...

    async def shared(self, board: Leaderboard) -> bytes:
        """Encode what every reader of the page sees."""
        ...

    async def mine(self, board: Leaderboard) -> bytes:
        """Encode the reader's own rows."""
        ...

    def join(self, shared: bytes, mine: bytes) -> bytes:
        """Return the body sent: the shared part with the reader's own part added."""
        ...


@dataclass(frozen=True, slots=True)
class Body:
    """A board's body for one reader, its entity tag (unquoted), and the board's season."""

    data: bytes
    etag: str
    season: int


@dataclass(frozen=True, slots=True)
class Wanted:
    """Which page of which board a reader asks for; a league's board is of the league's game."""

    season: int | None = None
    race_id: int | None = None
    league_id: int | None = None
    offset: int = 0
    limit: int = 50
    game: str = games.DEFAULT_GAME


async def _race_season(race_id: int) -> int | None:
    season: int | None = RACE_SEASONS.get(race_id)
    if season is None:
        rows = await connections.get("default").execute_query_dict(
            "SELECT season_id FROM races WHERE id = $1", [race_id]
        )
        if not rows:
            return None
        season = int(rows[0]["season_id"])
        RACE_SEASONS.put(race_id, season)
    return season


async def _league_facts(league_id: int) -> tuple[int, bool] | None:
    facts: tuple[int, bool] | None = LEAGUES.get(league_id)
    if facts is None:
        league = await League.get_or_none(id=league_id)
        if league is None:
            return None
        facts = (league.season_id, league.is_public)
        LEAGUES.put(league_id, facts)
    return facts


async def _season_of(wanted: Wanted, user_id: int | None, configured: int | None) -> int | None:
    """Return the board's season, or None when only the domain read can answer (errors)."""
    if all(game.name != wanted.game for game in games.all()):
        return None
    if wanted.league_id is not None:
        facts = await _league_facts(wanted.league_id)
        if facts is None or (not facts[1] and user_id is None):
            return None
        return facts[0]
    if wanted.race_id is not None:
        season = await _race_season(wanted.race_id)
        return season if wanted.season in (None, season) else None
    return (
        wanted.season
        if wanted.season is not None
        else await remembered_current_season(configured=configured)
    )


async def _read(wanted: Wanted, user_id: int | None, configured: int | None) -> Leaderboard:
    if wanted.league_id is not None:
        return await league_leaderboard(
            league_id=wanted.league_id,
            race_id=wanted.race_id,
            offset=wanted.offset,
            limit=wanted.limit,
            user_id=user_id,
        )
    return await overall_leaderboard(
        season=wanted.season,
        race_id=wanted.race_id,
        offset=wanted.offset,
        limit=wanted.limit,
        user_id=user_id,
        configured_season=configured,
        game=wanted.game,
    )


def _etag(*parts: object) -> str:
    return blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class _Looked:
    """Where a page's two parts are kept, what the lookup found, and the board's stamp."""

    season: int
    page: cache.Key
    own: cache.Key | None
    stamp: str
    shared: bytes | None
    mine: bytes | None
    retry_ms: int


async def _look(
    fmt: BodyFormat,
    wanted: Wanted,
    season: int,
    user_id: int | None,
    count: cache.Count | None,
) -> _Looked:
    """Read a page's stamp and both its ready parts (and count the request) in one trip."""
    league_id, race_id = wanted.league_id, wanted.race_id
    # A league's game is the league's: its id names the board; overall ones name their game.
    board_parts = (season, league_id or wanted.game, race_id or "-")
    page = PAGES.key(fmt.name, *board_parts, wanted.offset, wanted.limit)
    own = MINE.key(fmt.name, *board_parts, user_id) if user_id is not None else None
    keys = stamp_keys(league_id=league_id)
    found = await cache.lookup(
        stamp_generations(season=season, league_id=league_id),
        [*keys, page, *([own] if own else [])],
        count=count,
    )
    gen, league_stamp = await board_stamp(found, league_id=league_id)
    stamp = f"{gen}.{league_stamp}"
    shared = found.fresh(len(keys), stamp)
    # A signed-in reader's rows are kept only once the domain read let them see the board.
    mine = found.fresh(len(keys) + 1, stamp) if own else fmt.empty_mine
    return _Looked(season, page, own, stamp, shared, mine, found.retry_ms)


def _body(
    fmt: BodyFormat, looked: _Looked, shared: bytes, mine: bytes, user_id: int | None
) -> Body:
    etag = _etag(looked.page.redis_key, looked.stamp, user_id)
    return Body(fmt.join(shared, mine), etag, looked.season)


async def ready_body(
    fmt: BodyFormat,
    wanted: Wanted,
    *,
    user_id: int | None,
    configured_season: int | None,
    count: cache.Count | None = None,
) -> tuple[Body | None, int]:
    """Return a page's body if both its parts are ready (else None), and the ms to wait.

    Never reads the board itself: a reader it cannot answer goes the whole way
    (`read_body`), which also tells errors apart. With `count`, the lookup counts the
    request against its rate limit in the same round trip; over the limit, no body.
    """
    season = await _season_of(wanted, user_id, configured_season)
    if season is None:
        return None, 0
    looked = await _look(fmt, wanted, season, user_id, count)
    if looked.retry_ms or looked.shared is None or looked.mine is None:
        return None, looked.retry_ms
    return _body(fmt, looked, looked.shared, looked.mine, user_id), 0


async def read_body(
    fmt: BodyFormat, wanted: Wanted, *, user_id: int | None, configured_season: int | None
) -> Body:
    """Return a board page's body for a reader, from ready bytes when they are current."""
    season = await _season_of(wanted, user_id, configured_season)
    if season is None:
        board = await _read(wanted, user_id, configured_season)  # raises the error the reader gets
        return Body(fmt.join(await fmt.shared(board), await fmt.mine(board)), "", board.season)
    looked = await _look(fmt, wanted, season, user_id, None)
    shared, mine = looked.shared, looked.mine
    if shared is None or mine is None:
        shared, mine = await cache.once(
            (looked.page, looked.own, looked.stamp),
            lambda: _fill(
                fmt, wanted, user_id, looked.stamp, looked.page, looked.own, configured_season
            ),
        )
    assert shared is not None and mine is not None
    return _body(fmt, looked, shared, mine, user_id)


async def _fill(
    fmt: BodyFormat,
    wanted: Wanted,
    user_id: int | None,
    stamp: str,
    page: cache.Key,
    own: cache.Key | None,
    configured: int | None,
) -> tuple[bytes, bytes]:
    """Read the board, encode both parts, and keep them under `stamp`."""
    board = await _read(wanted, user_id, configured)
    shared, mine = await fmt.shared(board), await fmt.mine(board)
    await cache.store([(page, stamp, shared), *([(own, stamp, mine)] if own else [])])
    return shared, mine if own else fmt.empty_mine

"""Leaderboards as Redis sorted sets: key names, score encoding and the one read script.

Design, in short:
- Every board is a sorted set of team ids. A member's score encodes both orderings at
  once: ``points * 2**31 + (2**31 - 1 - team_id)``, so ``ZRANGE … REV`` lists points
  descending and, within equal points, team id ascending. Doubles are exact to 2**53,
  which leaves room for ±4 million points.
- A team's rank is 1 + the number of teams with strictly more points: ``ZCOUNT`` from
  ``(points + 1) * 2**31`` upwards. Ties therefore share a rank (1, 2, 2, 4).
- ``rank_change`` compares with the standings as of the previous scored race:
  * season boards (overall, league) keep a second set, ``…:prev``, whose scores are the
    season points minus the points of the latest scored race of the season;
  * race boards compare with the board of the scored race before it, in round order.
  With no previous scored race, or a team absent from the previous board, it is 0.
  Both are derived from PostgreSQL alone, so a rebuild after FLUSHDB gives the same ranks.
- Each board has a marker key ``…:ok`` set when it is complete (an empty board is a
  valid board). Boards are built into temporary keys and renamed, so readers never see
  half a board. A missing marker makes the reader rebuild from PostgreSQL.
- Overall season and overall race boards are kept up to date by rescoring. League boards
  are built lazily on first read under a name that carries the season's board generation
  (bumped by each rescoring) and the league's membership stamp (its generation, bumped by
  joins and leaves, and its members' count and newest membership id), and expire; a new
  name makes the old keys unreachable, so nothing has to find and delete them. Both
  generations are the cache layer's (`webapp.cache`).
- Every board is of one game (its scoring system's name, ``Scope.system``), and its key
  ends with it: the overall board of a season lists that game's teams only.
- A small hash ``lb:{season}:meta`` caches the scored races of the season per scoring system.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import floor

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

SCALE = 2**31
LEAGUE_TTL_SECONDS = 1800


def encode(points: int, team_id: int) -> int:
    """Return the sorted-set score of a team with `points`."""
    return points * SCALE + (SCALE - 1 - team_id)


def decode_points(score: float) -> int:
    """Return the points encoded in a sorted-set score."""
    return floor(score / SCALE)


def meta_key(season: int) -> str:
    """Return the key of a season's metadata hash."""
    return f"lb:{season}:meta"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which board: a season's overall or league table, or a race's, of one game (`system`)."""

    season: int
    system: str
    league_id: int | None = None
    race_id: int | None = None
    season_gen: int = 0
    league_gen: str = "0"

    def key(self) -> str:
        """Return the sorted-set key of this board."""
        base = f"lb:{self.season}"
        if self.league_id is not None:
            base += f":g{self.season_gen}:league:{self.league_id}:g{self.league_gen}"
        if self.race_id is not None:
            return f"{base}:race:{self.race_id}:{self.system}"
        return f"{base}:{'overall' if self.league_id is None else 'season'}:{self.system}"

    def prev_key(self) -> str:
        """Return the key of the season board's standings before the latest race."""
        return f"{self.key()}:prev"

    @property
    def ttl(self) -> int | None:
        """Return how long the board lives, or None for boards kept by rescoring."""
        return LEAGUE_TTL_SECONDS if self.league_id is not None else None


def marker(key: str) -> str:
    """Return the key that says the board at `key` is complete."""
    return f"{key}:ok"


# KEYS: cur, cur marker, prev, prev marker (prev may be "" when there is none).
# ARGV: scale, offset, limit, then the caller's team ids.
# Returns {"missing"} when a board must be built, else {total, rows, mine} where rows and
# mine are flat lists of team_id, points, rank, previous rank (-1 when unknown).
READ_SCRIPT = """
local cur, prev = KEYS[1], KEYS[3]
if redis.call('EXISTS', KEYS[2]) == 0 then return {'missing'} end
if prev ~= '' and redis.call('EXISTS', KEYS[4]) == 0 then return {'missing'} end
local scale = tonumber(ARGV[1])
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local function points_of(score) return math.floor(tonumber(score) / scale) end
local function rank_in(key, points)
  return redis.call('ZCOUNT', key, string.format('%.0f', (points + 1) * scale), '+inf') + 1
end
local function prev_rank(id)
  if prev == '' then return -1 end
  local s = redis.call('ZSCORE', prev, id)
  if not s then return -1 end
  return rank_in(prev, points_of(s))
end
local total = redis.call('ZCARD', cur)
local rows = {}
local page = {}
if limit > 0 then
  page = redis.call('ZRANGE', cur, offset, offset + limit - 1, 'REV', 'WITHSCORES')
end
local last_points, last_rank = nil, 0
for i = 1, #page, 2 do
  local id, points = page[i], points_of(page[i + 1])
  local rank
  if last_points == nil then rank = rank_in(cur, points)
  elseif points == last_points then rank = last_rank
  else rank = offset + (i + 1) / 2 end
  last_points, last_rank = points, rank
  table.insert(rows, id); table.insert(rows, points)
  table.insert(rows, rank); table.insert(rows, prev_rank(id))
end
local mine = {}
for j = 4, #ARGV do
  local s = redis.call('ZSCORE', cur, ARGV[j])
  if s then
    local points = points_of(s)
    table.insert(mine, ARGV[j]); table.insert(mine, points)
    table.insert(mine, rank_in(cur, points)); table.insert(mine, prev_rank(ARGV[j]))
  end
end
return {total, rows, mine}
"""


@dataclass(frozen=True, slots=True)
class Standing:
    """One team's place on a board, before names are attached."""

    team_id: int
    points: int
    rank: int
    rank_change: int


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page of a board as Redis holds it."""

    total: int
    rows: list[Standing]
    mine: list[Standing]


def _standings(flat: list[object]) -> list[Standing]:
    out = []
    for i in range(0, len(flat), 4):
        team_id, points, rank, before = (int(str(v)) for v in flat[i : i + 4])
        out.append(Standing(team_id, points, rank, before - rank if before > 0 else 0))
    return out


@lru_cache(maxsize=8)
def _script(redis: Redis) -> AsyncScript:
    """Return the read script bound to a client (hashed once, sent by SHA after the first)."""
    return redis.register_script(READ_SCRIPT)


async def read_page(
    redis: Redis,
    *,
    key: str,
    prev_key: str | None,
    offset: int,
    limit: int,
    mine_ids: list[int],
) -> RawPage | None:
    """Read one page and the caller's rows atomically; None when a board must be built."""
    script = _script(redis)
    keys = [key, marker(key), prev_key or "", marker(prev_key) if prev_key else ""]
    reply = await script(keys=keys, args=[SCALE, offset, limit, *mine_ids])
    if reply and reply[0] == "missing":
        return None
    total, rows, mine = reply
    return RawPage(total=int(total), rows=_standings(rows), mine=_standings(mine))

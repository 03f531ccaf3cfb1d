"""The one cache layer: a per-process tier, a Redis tier, and generations that invalidate both.

- A `Generation` is a counter in Redis that writers bump after their change commits. Values
  cached from the state it guards carry its number (their *stamp*), so a reader that sees a
  newer number knows the value is stale and builds it again. Nothing has to find and delete
  old entries: they are overwritten or expire by their TTL.
- The Redis tier holds values under typed keys (`Namespace.key(...)`): JSON read-through
  values (`cached`), and stamped bytes (`lookup` + `store`) that readers fetch together with
  the generations that stamp them, in one MGET.
- The local tier (`Local`) keeps small, hot values in this process for a few seconds. A bump
  made in this process drops the local values that depend on that generation at once; other
  processes see the change when their copy's few seconds are up.

Redis being down only means a miss: reads still work, from the source of truth.
See docs/caching.md for every cached value, where it lives, for how long, and why it changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakSet

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.client import NEVER_DECODE
from redis.exceptions import NoScriptError, RedisError

from webapp.redis import get_redis

log = logging.getLogger(__name__)
CACHE_LOOKUPS = Counter(
    "paddock_cache_lookups_total",
    "Cache lookups by cache and outcome (local_hit, hit, miss)",
    ["name", "outcome"],
)
DEFAULT_TTL = 300


@dataclass(frozen=True, slots=True)
class Generation:
    """A counter that writers bump when the state it guards changes."""

    name: str
    ident: str = ""

    @property
    def redis_key(self) -> str:
        """Return the Redis key of the counter."""
        return f"cache:gen:{self.name}:{self.ident}" if self.ident else f"cache:gen:{self.name}"


DRIVERS = Generation("drivers")  # a driver's price, team or season points changed
RACES = Generation("races")  # a race rescheduled, cancelled or added
SEASONS = Generation("seasons")  # a season loaded or synced


def board_generation(season: int) -> Generation:
    """Return the generation of a season's leaderboards (rescoring, new teams, renames)."""
    return Generation("board", str(season))


def league_generation(league_id: int) -> Generation:
    """Return the generation of a league's membership (joins, leaves, the league closing)."""
    return Generation("league", str(league_id))


@dataclass(frozen=True, slots=True)
class Namespace:
    """A family of values in the Redis tier, with their time to live (None: until overwritten)."""

    name: str
    ttl: int | None = DEFAULT_TTL

    def key(self, *parts: object) -> Key:
        """Return the key of one value of this family."""
        return Key(self, tuple(str(part) for part in parts))


@dataclass(frozen=True, slots=True)
class Key:
    """One value's place in the Redis tier."""

    namespace: Namespace
    parts: tuple[str, ...]

    @property
    def redis_key(self) -> str:
        """Return the Redis key of the value."""
        return ":".join(("cache", self.namespace.name, *self.parts))


# The feed's last contact: written by polls (PostgreSQL's latest good poll when lost), read
# through the local tier by every page's footer.
FEED_LAST_REACHED = Namespace("feed").key("last_reached")


_COUNTERS: dict[tuple[str, str], Any] = {}


def _count(name: str, outcome: str) -> None:
    # The labelled child is looked up once per (tier, outcome): this runs on every read.
    counter = _COUNTERS.get((name, outcome))
    if counter is None:
        counter = _COUNTERS[(name, outcome)] = CACHE_LOOKUPS.labels(name, outcome)
    counter.inc()


async def generation(gen: Generation) -> int:
    """Return the current number of `gen` (0 before its first bump, or without Redis)."""
    try:
        value = await get_redis().get(gen.redis_key)
    except (RedisError, RuntimeError):
        return 0
    return int(value or 0)


def drop_local(*gens: Generation) -> None:
    """Drop this process's local values that depend on `gens` (bumped in Redis just now)."""
    for local in _LOCALS:
        if local.depends_on & {gen.name for gen in gens}:
            local.clear()


async def bump(*gens: Generation) -> None:
    """Start a new generation of each of `gens`; call after the change has committed."""
    drop_local(*gens)
    try:
        async with get_redis().pipeline(transaction=False) as pipe:
            for gen in gens:
                pipe.incr(gen.redis_key)
            await pipe.execute()
    except RuntimeError:
        pass  # no Redis in this process (a command line run): entries expire by their TTL
    except RedisError:
        log.warning("cache generation not bumped", extra={"cache": gens}, exc_info=True)


async def cached(
    *, key: Key, build: Callable[[], Awaitable[Any]], gens: Sequence[Generation] = ()
) -> Any:
    """Return the JSON value cached under `key` for the current `gens`, building it on a miss."""
    found = await lookup(gens, [key])
    stamp = ".".join(map(str, found.numbers))
    payload = found.fresh(0, stamp)
    if payload is not None:
        return json.loads(payload)
    value = await build()
    await store([(key, stamp, json.dumps(value, separators=(",", ":")).encode())])
    return value


async def stamped(
    *, key: Key, build: Callable[[], Awaitable[bytes]], gens: Sequence[Generation]
) -> bytes:
    """Return the bytes kept under `key` for the current `gens`, built once on a miss."""
    found = await lookup(gens, [key])
    stamp = ".".join(map(str, found.numbers))
    payload = found.fresh(0, stamp)
    if payload is not None:
        return payload

    async def fill() -> bytes:
        data = await build()
        # Under the stamp read before the build: never newer than what the bytes show.
        await store([(key, stamp, data)])
        return data

    # A busy page misses for every reader at once after a bump: one of them renders it.
    built: bytes = await once((key.redis_key, stamp), fill)
    return built


@dataclass(frozen=True, slots=True)
class Stamped:
    """A value of the Redis tier with the stamp of the generations it was built under."""

    stamp: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one `lookup` read: the generations' numbers and the stamped values."""

    numbers: list[int]
    keys: Sequence[Key]
    values: list[Stamped | None]
    retry_ms: int = 0  # with a `count`: how long the caller must wait (0: not over the limit)

    def fresh(self, index: int, stamp: str) -> bytes | None:
        """Return the payload of value `index` if it carries `stamp`, else None (a miss)."""
        value = self.values[index]
        hit = value is not None and value.stamp == stamp
        _count(self.keys[index].namespace.name, "hit" if hit else "miss")
        return value.payload if hit and value is not None else None


# Counts a request in fixed windows (one key each), then reads the values: one round trip
# where a rate-limited read would take two. Returns {milliseconds to wait or 0, values…}.
_COUNT_AND_GET = """
local counted = tonumber(ARGV[3])
local retry = 0
for n = 1, counted do
  local key = KEYS[n]
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[2]) end
  if count > tonumber(ARGV[1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[2])
      ttl = tonumber(ARGV[2])
    end
    if ttl > retry then retry = ttl end
  end
end
local out = {retry}
if #KEYS > counted then
  local values = redis.call('MGET', unpack(KEYS, counted + 1))
  for n = 1, #values do out[n + 1] = values[n] end
end
return out
"""
_COUNT_AND_GET_SHA = hashlib.sha1(_COUNT_AND_GET.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Count:
    """One request to count against a limit of `limit` per `period_ms`, under each key."""

    keys: Sequence[str]
    limit: int
    period_ms: int


async def count_and_get(
    redis: Redis, count: Count, names: Sequence[str]
) -> tuple[int, list[bytes | None]]:
    """Count a request and read raw values in one round trip; return (ms to wait, values)."""
    args = [len(count.keys) + len(names), *count.keys, *names]
    args += [count.limit, count.period_ms, len(count.keys)]
    try:
        raw = await redis.execute_command(
            "EVALSHA", _COUNT_AND_GET_SHA, *args, **{NEVER_DECODE: True}
        )
    except NoScriptError:
        await redis.script_load(_COUNT_AND_GET)
        raw = await redis.execute_command(
            "EVALSHA", _COUNT_AND_GET_SHA, *args, **{NEVER_DECODE: True}
        )
    values: list[bytes | None] = list(raw[1:])
    # Lua drops a table's trailing nils: the missing values at the end are misses.
    values += [None] * (len(names) - len(values))
    return int(raw[0]), values


async def lookup(
    gens: Sequence[Generation], keys: Sequence[Key], *, count: Count | None = None
) -> Lookup:
    """Read generations and stamped values in one round trip (a miss for each without Redis).

    With `count`, the same round trip counts the request against its rate limit
    (`Lookup.retry_ms`); a Redis error is then raised, as a limit cannot be skipped.
    """
    names = [gen.redis_key for gen in gens] + [key.redis_key for key in keys]
    retry_ms = 0
    if count is not None:
        retry_ms, raw = await count_and_get(get_redis(), count, names)
        return _parsed(gens, keys, raw, retry_ms)
    try:
        # Raw bytes: the values are ready to send, decoding them would only cost.
        raw = await get_redis().execute_command("MGET", *names, **{NEVER_DECODE: True})
    except (RedisError, RuntimeError):
        raw = [None] * len(names)
    return _parsed(gens, keys, raw, retry_ms)


def _parsed(
    gens: Sequence[Generation], keys: Sequence[Key], raw: list[bytes | None], retry_ms: int
) -> Lookup:
    numbers = [int(value or 0) for value in raw[: len(gens)]]
    values: list[Stamped | None] = []
    for value in raw[len(gens) :]:
        if value is None:
            values.append(None)
            continue
        stamp, _, payload = bytes(value).partition(b"\n")
        values.append(Stamped(stamp.decode(), payload))
    return Lookup(numbers, keys, values, retry_ms)


async def store(items: Iterable[tuple[Key, str, bytes]]) -> None:
    """Keep stamped values: (key, stamp, payload) each, overwriting older stamps."""
    try:
        async with get_redis().pipeline(transaction=False) as pipe:
            for key, stamp, payload in items:
                pipe.set(key.redis_key, stamp.encode() + b"\n" + payload, ex=key.namespace.ttl)
            await pipe.execute()
    except (RedisError, RuntimeError):
        log.warning("cache entries not stored", exc_info=True)


class Local:
    """Values kept in this process for `seconds`, dropped early by a bump of `depends_on`."""

    def __init__(
        self,
        name: str,
        *,
        seconds: float,
        depends_on: Iterable[Generation] = (),
        maxsize: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.depends_on = frozenset(gen.name for gen in depends_on)
        self.maxsize = maxsize
        self.clock = clock
        self._values: OrderedDict[object, tuple[float, Any]] = OrderedDict()
        # How many times every value was dropped at once (a bump): a value built from
        # reads made before the last drop must not be kept.
        self.drops = 0
        _LOCALS.add(self)

    def get(self, key: object, default: Any = None) -> Any:
        """Return the value kept under `key`, or `default` when absent or expired."""
        held = self._values.get(key)
        if held is None or held[0] <= self.clock():
            _count(self.name, "miss")
            return default
        _count(self.name, "local_hit")
        return held[1]

    def get_stale(self, key: object, default: Any = None) -> Any:
        """Return the value kept under `key` even past its time, until a bump drops it."""
        held = self._values.get(key)
        return default if held is None else held[1]

    def put(self, key: object, value: Any, *, seconds: float | None = None) -> None:
        """Keep `value` under `key` for `seconds` (the tier's lifetime by default)."""
        self._values[key] = (self.clock() + (self.seconds if seconds is None else seconds), value)
        self._values.move_to_end(key)
        while len(self._values) > self.maxsize:
            self._values.popitem(last=False)

    def forget(self, key: object) -> None:
        """Forget the value kept under `key`, if any."""
        self._values.pop(key, None)

    def clear(self) -> None:
        """Forget every value."""
        self._values.clear()
        self.drops += 1


_LOCALS: WeakSet[Local] = WeakSet()


_FLIGHTS: dict[object, asyncio.Future[Any]] = {}


async def once(key: object, build: Callable[[], Awaitable[Any]]) -> Any:
    """Run `build` once for every caller in this process asking for `key` at the same time."""
    # After a bump, every reader of a busy board misses together: one of them fills it.
    running = _FLIGHTS.get(key)
    if running is None:
        running = _FLIGHTS[key] = asyncio.ensure_future(build())
        running.add_done_callback(lambda _: _FLIGHTS.pop(key, None))
    # Shielded: a caller that goes away does not cancel the others' answer.
    return await asyncio.shield(running)


def clear_local() -> None:
    """Forget every value of this process's local tier."""
    for local in _LOCALS:
        local.clear()

"""A read-through cache in Redis for public reads, with generations to invalidate them.

Entries are JSON under `cache:<name>:<key>`. A key that names an immutable thing (a race's
results version) never needs invalidating; other keys include a generation number that
writers bump after they commit (`bump`), so readers move on to a fresh key at once and the
old entries expire by their TTL. Redis being down only means a miss: reads still work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter
from redis.exceptions import RedisError

from webapp.redis import get_redis

log = logging.getLogger(__name__)
CACHE_LOOKUPS = Counter(
    "paddock_cache_lookups_total",
    "Read-through cache lookups by cache and outcome",
    ["name", "outcome"],
)
DEFAULT_TTL = 300

# Generation names bumped by writers.
DRIVERS = "drivers"
RACES = "races"  # a race rescheduled, cancelled or added


async def generation(name: str) -> int:
    """Return the current generation of `name` (0 before its first bump, or without Redis)."""
    try:
        value = await get_redis().get(f"cache:gen:{name}")
    except (RedisError, RuntimeError):
        return 0
    return int(value or 0)


async def bump(name: str) -> None:
    """Start a new generation of `name`; call after the change has committed."""
    try:
        await get_redis().incr(f"cache:gen:{name}")
    except RuntimeError:
        pass  # no Redis in this process (a command line run): entries expire by their TTL
    except RedisError:
        log.warning("cache generation not bumped", extra={"cache": name}, exc_info=True)


async def cached(
    *, name: str, key: str, build: Callable[[], Awaitable[Any]], ttl: int = DEFAULT_TTL
) -> Any:
    """Return the JSON value cached under `name:key`, building and storing it on a miss."""
    full_key = f"cache:{name}:{key}"
    redis = None
    try:
        redis = get_redis()
        raw = await redis.get(full_key)
    except (RedisError, RuntimeError):
        raw = None
    if raw is not None:
        CACHE_LOOKUPS.labels(name, "hit").inc()
        return json.loads(raw)
    CACHE_LOOKUPS.labels(name, "miss").inc()
    value = await build()
    if redis is not None:
        try:
            await redis.set(full_key, json.dumps(value, separators=(",", ":")), ex=ttl)
        except RedisError:
            log.warning("cache entry not stored", extra={"cache": name}, exc_info=True)
    return value

"""Fixed-window rate limits counted atomically in Redis, and the client's address."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from functools import lru_cache

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from webapp.errors import AppError
from webapp.settings import parse_rate

# One script increments every key and reads expiries, so parallel requests cannot slip past.
_HIT = """
local retry = 0
for _, key in ipairs(KEYS) do
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
return retry
"""


@lru_cache(maxsize=8)
def _hit_script(redis: Redis) -> AsyncScript:
    """Return the counting script bound to a client: hashed once, then sent by SHA."""
    return redis.register_script(_HIT)


@lru_cache(maxsize=32)
def _window(rate: str) -> tuple[int, int]:
    """Return (limit, period in milliseconds) of a rate, parsed once."""
    limit, period = parse_rate(rate)
    return limit, period * 1000


async def hit(*, redis: Redis, keys: Iterable[str], rate: str) -> int:
    """Count one request against each key; return seconds to wait if any is over, else 0."""
    limit, period_ms = _window(rate)
    names = [f"rl:{key}" for key in keys]
    retry_ms = int(await _hit_script(redis)(keys=names, args=[limit, period_ms]))
    return math.ceil(retry_ms / 1000) if retry_ms > 0 else 0


async def enforce(*, redis: Redis, keys: Iterable[str], rate: str) -> None:
    """Raise 429 `rate_limited` with `Retry-After` when any key is over `rate`."""
    retry = await hit(redis=redis, keys=keys, rate=rate)
    if retry:
        raise AppError(
            "rate_limited",
            f"Too many requests: try again in {retry} seconds",
            status=429,
            details={"retry_after": retry},
            headers={"Retry-After": str(retry)},
        )


def is_trusted_proxy(address: str | None, proxies: Iterable[str]) -> bool:
    """Tell whether `address` is one of the proxies (addresses or networks) we believe."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(*, peer: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """Return the client's address, believing `X-Forwarded-For` only from trusted proxies."""
    address = peer or "unknown"
    if not forwarded_for or not is_trusted_proxy(address, trusted):
        return address
    # Walk back from the nearest hop; the first one we do not trust is the client.
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = hop
        if not is_trusted_proxy(hop, trusted):
            break
    return address

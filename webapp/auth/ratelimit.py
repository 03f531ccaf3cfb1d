"""Fixed-window rate limits counted atomically in Redis, and the client's address."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable

from redis.asyncio import Redis

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


async def hit(*, redis: Redis, keys: Iterable[str], rate: str) -> int:
    """Count one request against each key; return seconds to wait if any is over, else 0."""
    limit, period = parse_rate(rate)
    names = [f"rl:{key}" for key in keys]
    script = redis.register_script(_HIT)
    retry_ms = int(await script(keys=names, args=[limit, period * 1000]))
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

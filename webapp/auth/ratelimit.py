"""Fixed-window rate limits counted atomically in Redis, and the client's address."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable
from functools import lru_cache

from redis.asyncio import Redis

from webapp.cache import Count, count_and_get
from webapp.errors import AppError
from webapp.settings import parse_rate

# Set in an exchange's ASGI scope once the edge has counted it against the API limit.
API_COUNTED = "paddock.api_counted"


@lru_cache(maxsize=32)
def _window(rate: str) -> tuple[int, int]:
    """Return (limit, period in milliseconds) of a rate, parsed once."""
    limit, period = parse_rate(rate)
    return limit, period * 1000


def counted(*, keys: Iterable[str], rate: str) -> Count:
    """Return the count of one request against each key under `rate`, for the cache's script."""
    limit, period_ms = _window(rate)
    return Count([f"rl:{key}" for key in keys], limit, period_ms)


def retry_seconds(retry_ms: int) -> int:
    """Return the whole seconds to wait for a count's milliseconds (0: not over the limit)."""
    return math.ceil(retry_ms / 1000) if retry_ms > 0 else 0


async def hit(*, redis: Redis, keys: Iterable[str], rate: str) -> int:
    """Count one request against each key; return seconds to wait if any is over, else 0."""
    # One script increments every key and reads expiries, so parallel requests cannot slip past.
    retry_ms, _ = await count_and_get(redis, counted(keys=keys, rate=rate), [])
    return retry_seconds(retry_ms)


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

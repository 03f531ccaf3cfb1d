"""The process-wide Redis client, shared by routes, domain code and tasks."""

from __future__ import annotations

from redis.asyncio import Redis

_client: Redis | None = None


async def init_redis(url: str) -> bool:
    """Open the shared client for `url`; return False when this process already had one."""
    global _client
    if _client is not None:
        return False
    _client = Redis.from_url(url, decode_responses=True, health_check_interval=30)
    return True


def get_redis() -> Redis:
    """Return the shared client; `init_redis` must have run in this process."""
    if _client is None:
        raise RuntimeError("Redis is not initialised in this process")
    return _client


async def close_redis() -> None:
    """Close the shared client and its pool."""
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None

"""The process-wide Redis client, shared by routes, domain code and tasks."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

# Requests beyond this many concurrent Redis commands wait (up to POOL_WAIT_SECONDS) for a
# free connection instead of failing: the default pool raises "Too many connections".
MAX_CONNECTIONS = 100
POOL_WAIT_SECONDS = 10

_client: Redis | None = None


async def init_redis(url: str) -> bool:
    """Open the shared client for `url`; return False when this process already had one."""
    global _client
    if _client is not None:
        return False
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
    )
    _client = Redis.from_pool(pool)
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

"""A request budget for the results feed shared by every process, kept in Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

# Sliding windows of one second and one hour; both are checked and taken in one atomic step,
# so workers on any number of hosts never exceed the feed's limits together.
_ACQUIRE = """
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local windows = {1000, 3600000}
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local wait = 0
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - windows[i])
  if redis.call('ZCARD', KEYS[i]) >= limits[i] then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + windows[i] - now + 1)
  end
end
if wait > 0 then
  return wait
end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[i], windows[i])
end
return 0
"""

Sleep = Callable[[float], Awaitable[None]]


class BudgetExhausted(Exception):
    """The shared budget has no request left within the time we may wait."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(
            f"feed request budget exhausted: next request allowed in {wait_seconds:.1f} s"
        )
        self.wait_seconds = wait_seconds


class RequestBudget:
    """Allow at most `per_second` and `per_hour` feed requests across all processes."""

    def __init__(
        self,
        redis: Redis,
        *,
        per_second: int,
        per_hour: int,
        prefix: str = "paddock:feed:budget",
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.per_hour = per_hour
        self.keys = [f"{prefix}:second", f"{prefix}:hour"]
        self._sleep = sleep
        self._script = redis.register_script(_ACQUIRE)

    async def try_acquire(self, *, now_ms: int = 0) -> float:
        """Take one request if allowed and return 0, else return the seconds to wait."""
        member = f"{now_ms}:{secrets.token_hex(8)}"
        wait_ms = await self._script(
            keys=self.keys, args=[now_ms, self.per_second, self.per_hour, member]
        )
        return int(wait_ms) / 1000

    async def acquire(self, *, max_wait: float) -> None:
        """Take one request, waiting up to `max_wait` seconds in total, else raise."""
        waited = 0.0
        while True:
            wait = await self.try_acquire()
            if wait == 0:
                return
            if waited + wait > max_wait:
                raise BudgetExhausted(wait)
            await self._sleep(wait)
            waited += wait

"""An async client of the Ergast-compatible results feed: paging, retries, a shared budget."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

import httpx
from pydantic import ValidationError
from redis.asyncio import Redis

from webapp.redis import get_redis
from webapp.results import feed_models as fm
from webapp.results.budget import BudgetExhausted, RequestBudget, Sleep
from webapp.results.metrics import FEED_REQUESTS
from webapp.settings import Settings

log = logging.getLogger(__name__)

PAGE_SIZE = 100
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0


class FeedError(Exception):
    """The feed could not give a usable answer; `kind` says why, the message what."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def describe_validation(exc: ValidationError) -> str:
    """Summarise pydantic errors as `path: problem` pairs."""
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class FeedClient:
    """Read seasons, calendars and results from `RESULTS_API_URL`."""

    def __init__(
        self,
        *,
        base_url: str,
        budget: RequestBudget,
        timeout: float = 10.0,
        max_attempts: int = 4,
        max_wait: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._sleep = sleep
        self._jitter = jitter
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", "User-Agent": "paddock/0.1"},
            follow_redirects=True,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, redis: Redis | None = None, sleep: Sleep = asyncio.sleep
    ) -> FeedClient:
        """Build a client configured by the settings, sharing the Redis budget."""
        budget = RequestBudget(
            redis or get_redis(),
            per_second=settings.feed_rate_per_second,
            per_hour=settings.feed_rate_per_hour,
            sleep=sleep,
        )
        return cls(
            base_url=settings.results_api_url,
            budget=budget,
            timeout=settings.feed_timeout_seconds,
            max_attempts=settings.feed_max_attempts,
            max_wait=settings.feed_max_wait_seconds,
            sleep=sleep,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def races(self, season: int) -> list[fm.FeedRace]:
        """Return the season's calendar with session times."""
        return await self._races(f"/{season}/races.json", "races", rows=lambda r: 1)

    async def constructors(self, season: int) -> list[fm.FeedConstructor]:
        """Return the season's constructors."""
        pages = await self._pages(f"/{season}/constructors.json", "constructors")
        return [
            c for page in pages for c in _as(page, fm.ConstructorPage).ConstructorTable.Constructors
        ]

    async def drivers(self, season: int) -> list[fm.FeedDriver]:
        """Return the season's drivers."""
        return await self._drivers(f"/{season}/drivers.json")

    async def constructor_drivers(self, season: int, constructor: str) -> list[fm.FeedDriver]:
        """Return the drivers who drove for one constructor in the season."""
        return await self._drivers(f"/{season}/constructors/{constructor}/drivers.json")

    async def results(self, season: int, round: int) -> fm.FeedRace | None:
        """Return one race with all its results, or None while the feed has none."""
        return _one(await self._races(f"/{season}/{round}/results.json", "results", rows=_results))

    async def sprint(self, season: int, round: int) -> fm.FeedRace | None:
        """Return one race with its sprint results, or None."""
        path = f"/{season}/{round}/sprint.json"
        return _one(await self._races(path, "sprint", rows=lambda r: len(r.SprintResults)))

    async def qualifying(self, season: int, round: int) -> fm.FeedRace | None:
        """Return one race with its qualifying results, or None."""
        path = f"/{season}/{round}/qualifying.json"
        return _one(await self._races(path, "qualifying", rows=lambda r: len(r.QualifyingResults)))

    async def _drivers(self, path: str) -> list[fm.FeedDriver]:
        pages = await self._pages(path, "drivers")
        return [d for page in pages for d in _as(page, fm.DriverPage).DriverTable.Drivers]

    async def _races(
        self, path: str, endpoint: str, *, rows: Callable[[fm.FeedRace], int]
    ) -> list[fm.FeedRace]:
        pages = await self._pages(path, endpoint, rows=rows)
        merged: dict[tuple[int, int], fm.FeedRace] = {}
        for page in pages:
            for race in _as(page, fm.RacePage).RaceTable.Races:
                key = (race.season, race.round)
                if key in merged:
                    # The feed pages by result row, so one race can span several pages.
                    old = merged[key]
                    race = old.model_copy(
                        update={
                            name: getattr(old, name) + getattr(race, name)
                            for name in ("Results", "SprintResults", "QualifyingResults")
                        }
                    )
                merged[key] = race
        return list(merged.values())

    async def _pages(
        self, path: str, endpoint: str, *, rows: Callable[[fm.FeedRace], int] | None = None
    ) -> list[fm.Envelope]:
        model = _PAGE_MODELS[endpoint]
        pages: list[fm.Envelope] = []
        offset = 0
        while True:
            page = await self._fetch_page(path, endpoint, model, offset=offset, rows=rows)
            pages.append(page)
            data = page.MRData
            offset += _row_count(data, rows)
            if offset >= data.total:
                return pages

    async def _fetch_page(
        self,
        path: str,
        endpoint: str,
        model: type[fm.Envelope],
        *,
        offset: int,
        rows: Callable[[fm.FeedRace], int] | None,
    ) -> fm.Envelope:
        """Fetch and check one page, retrying what may pass with backoff and jitter."""
        url = f"{self.base_url}{path}"
        params = {"limit": str(PAGE_SIZE), "offset": str(offset)}
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.budget.acquire(max_wait=self.max_wait)
            except BudgetExhausted as exc:
                FEED_REQUESTS.labels(endpoint, "budget").inc()
                raise FeedError("budget", str(exc)) from exc
            wait: float | None = None
            status: int | None = None
            try:
                response = await self._http.get(url, params=params)
            except httpx.TimeoutException as exc:
                kind, problem = "timeout", f"no answer within the timeout from {url} ({exc!r})"
            except httpx.TransportError as exc:
                kind, problem = "unreachable", f"cannot reach {url}: {exc!r}"
            else:
                status = response.status_code
                kind, problem, wait, page = self._check(response, model, offset=offset, rows=rows)
                if page is not None:
                    FEED_REQUESTS.labels(endpoint, "ok").inc()
                    return page
            FEED_REQUESTS.labels(endpoint, kind).inc()
            delay: float | None = None
            if kind != "not_found" and attempt < self.max_attempts:
                delay = self._backoff(attempt)
                if wait is not None:
                    delay = None if wait > self.max_wait else max(delay, wait)
            self._log_rejected(
                url=url, offset=offset, attempt=attempt, status=status, problem=problem, delay=delay
            )
            if delay is None:
                if wait is not None and wait > self.max_wait:
                    raise FeedError("rate_limited", f"{problem}; not waiting that long")
                break
            await self._sleep(delay)
        raise FeedError(kind, problem)

    def _log_rejected(
        self,
        *,
        url: str,
        offset: int,
        attempt: int,
        status: int | None,
        problem: str,
        delay: float | None,
    ) -> None:
        """Log one rejected answer with its reason in the message itself, whatever the format."""
        then = f"retrying in {delay:.1f} s" if delay is not None else "giving up"
        log.warning(
            "feed answer rejected: %s (offset %d, attempt %d of %d): %s; %s",
            url,
            offset,
            attempt,
            self.max_attempts,
            problem,
            then,
            extra={
                "url": url,
                "offset": offset,
                "attempt": attempt,
                "status": status,
                "problem": problem,
                "retry_in_seconds": None if delay is None else round(delay, 3),
            },
        )

    def _check(
        self,
        response: httpx.Response,
        model: type[fm.Envelope],
        *,
        offset: int,
        rows: Callable[[fm.FeedRace], int] | None,
    ) -> tuple[str, str, float | None, fm.Envelope | None]:
        """Judge one answer: (kind, problem, seconds to wait, page when usable)."""
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"), now=datetime.now(UTC))
            return "rate_limited", f"429 from the feed (Retry-After {wait})", wait, None
        if status >= 500:
            return "unavailable", f"HTTP {status} from the feed", None, None
        if status == 404:
            return "not_found", f"HTTP 404 for {response.request.url}", None, None
        if status != 200:
            return "unavailable", f"HTTP {status} from the feed", None, None
        try:
            payload: Any = response.json()
        except ValueError as exc:
            return "malformed", f"body is not JSON ({exc})", None, None
        try:
            page = model.model_validate(payload)
        except ValidationError as exc:
            return (
                "malformed",
                f"payload does not match the feed schema: {describe_validation(exc)}",
                None,
                None,
            )
        data = page.MRData
        got = _row_count(data, rows)
        expected = max(0, min(data.limit, data.total - offset))
        if got < expected or (got == 0 and data.total > offset):
            return (
                "malformed",
                f"truncated: {got} rows at offset {offset}, expected {expected} of {data.total}",
                None,
                None,
            )
        return "ok", "", None, page

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and one and a half of the step."""
        step = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
        return step * (0.5 + self._jitter())


def _results(race: fm.FeedRace) -> int:
    return len(race.Results)


def _row_count(data: fm.Page, rows: Callable[[fm.FeedRace], int] | None) -> int:
    if isinstance(data, fm.RacePage):
        count = rows or (lambda r: 1)
        return sum(count(race) for race in data.RaceTable.Races)
    if isinstance(data, fm.DriverPage):
        return len(data.DriverTable.Drivers)
    if isinstance(data, fm.ConstructorPage):
        return len(data.ConstructorTable.Constructors)
    raise TypeError(f"unknown page {type(data).__name__}")


def _as[P: fm.Page](page: fm.Envelope, kind: type[P]) -> P:
    data = page.MRData
    assert isinstance(data, kind)
    return data


def _one(races: list[fm.FeedRace]) -> fm.FeedRace | None:
    return races[0] if races else None


_PAGE_MODELS: dict[str, type[fm.Envelope]] = {
    "races": fm.RaceEnvelope,
    "results": fm.RaceEnvelope,
    "sprint": fm.RaceEnvelope,
    "qualifying": fm.RaceEnvelope,
    "drivers": fm.DriverEnvelope,
    "constructors": fm.ConstructorEnvelope,
}

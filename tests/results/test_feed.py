"""The feed client against a fake feed over HTTP: paging, retries, limits and bad answers."""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from webapp.results.budget import BudgetExhausted, RequestBudget
from webapp.results.feed import FeedClient, FeedError, retry_after_seconds

RESULTS = "/2025/1/results.json"


async def test_results_are_gathered_across_pages(feed, feed_client: FeedClient) -> None:
    feed.page_cap = 7
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    race = await feed_client.results(2025, 1)

    assert race is not None and race.raceName == "Australian Grand Prix"
    assert [r.position for r in race.Results] == list(range(1, 21))
    assert race.Results[0].Driver.driverId == "norris"
    assert [q["offset"] for _, q in feed.requests] == ["0", "7", "14"]
    assert {q["limit"] for _, q in feed.requests} == {"100"}


async def test_lists_and_calendar_follow_offsets(feed, feed_client: FeedClient) -> None:
    feed.page_cap = 2
    feed.serve_fixture("/2025/drivers.json", "2025/drivers.json")
    feed.serve_fixture("/2025/races.json", "2025/races.json")
    feed.serve_fixture("/2025/constructors.json", "2025/constructors.json")

    drivers = await feed_client.drivers(2025)
    races = await feed_client.races(2025)
    constructors = await feed_client.constructors(2025)

    assert [d.driverId for d in drivers][-1] == "herta" and len(drivers) == 6
    assert [r.round for r in races] == [1, 2, 25]
    assert races[1].sprint_qualifying is not None
    assert races[1].sprint_qualifying.starts_at == datetime(2025, 3, 21, 7, 30, tzinfo=UTC)
    assert [c.constructorId for c in constructors] == ["mclaren", "red_bull", "cadillac"]


async def test_no_results_yet_is_none(feed, feed_client: FeedClient) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results_empty.json")
    assert await feed_client.results(2025, 1) is None


async def test_server_error_is_retried_with_backoff(feed, feed_client, sleeps) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, {"status": 500, "body": "oops"}, {"status": 503})

    race = await feed_client.results(2025, 1)

    assert race is not None and len(race.Results) == 20
    assert feed.hits(RESULTS) == 3
    # Exponential steps of 0.5 s and 1 s, each jittered to between half and one and a half.
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.75 and 0.5 <= sleeps[1] <= 1.5


async def test_each_rejected_answer_is_logged_once_with_its_reason_and_delay(
    feed, feed_client, sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, {"status": 503}, {"status": 500})
    caplog.set_level(logging.WARNING, logger="webapp.results.feed")

    await feed_client.results(2025, 1)

    lines = [r for r in caplog.records if r.getMessage().startswith("feed answer rejected")]
    assert len(lines) == 2
    for record, status, slept in zip(lines, (503, 500), sleeps, strict=True):
        message = record.getMessage()
        assert f"{feed.url}{RESULTS}" in message
        assert f"HTTP {status}" in message
        assert f"retrying in {slept:.1f} s" in message
        assert record.status == status  # type: ignore[attr-defined]


async def test_last_rejected_answer_says_it_gives_up_and_names_the_exception(
    redis: Redis, sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    budget = RequestBudget(redis, per_second=100, per_hour=1000, sleep=sleeps)
    client = FeedClient(
        base_url="http://127.0.0.1:9/f1", budget=budget, max_attempts=2, sleep=sleeps
    )
    caplog.set_level(logging.WARNING, logger="webapp.results.feed")

    with pytest.raises(FeedError):
        await client.results(2025, 1)
    await client.aclose()

    messages = [r.getMessage() for r in caplog.records if "feed answer rejected" in r.getMessage()]
    assert len(messages) == 2
    assert "ConnectError" in messages[0] and "retrying in" in messages[0]
    assert "ConnectError" in messages[1] and messages[1].endswith("giving up")


async def test_429_waits_as_long_as_retry_after_says(feed, feed_client, sleeps) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, {"status": 429, "headers": {"Retry-After": "7"}})

    race = await feed_client.results(2025, 1)

    assert race is not None
    assert sleeps == [7.0]


async def test_429_asking_too_long_a_wait_gives_up(feed, feed_client, sleeps) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, {"status": 429, "headers": {"Retry-After": "3600"}})

    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 1)

    assert caught.value.kind == "rate_limited"
    assert feed.hits(RESULTS) == 1 and sleeps == []


async def test_timeouts_are_retried_then_reported(feed, feed_client, sleeps) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, *[{"hang": True}] * 3)

    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 1)

    assert caught.value.kind == "timeout"
    assert feed.hits(RESULTS) == 3 and len(sleeps) == 2


async def test_body_that_is_not_json_is_malformed(feed, feed_client) -> None:
    feed.script(RESULTS, *[{"body": '{"MRData": {"limit": "30", '}] * 3)

    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 1)

    assert caught.value.kind == "malformed"
    assert "not JSON" in str(caught.value)


async def test_non_numeric_string_names_the_field(feed, feed_client) -> None:
    doc = feed.serve_fixture(RESULTS, "2025/1/results.json")
    bad = copy.deepcopy(doc)
    bad["MRData"]["RaceTable"]["Races"][0]["Results"][2]["grid"] = "P4"
    feed.serve(RESULTS, bad)

    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 1)

    assert caught.value.kind == "malformed"
    assert "Results.2.grid" in str(caught.value) and "'P4'" in str(caught.value)


async def test_fewer_rows_than_total_is_truncated(feed, feed_client) -> None:
    doc = feed.serve_fixture(RESULTS, "2025/1/results.json")
    cut = copy.deepcopy(doc)
    del cut["MRData"]["RaceTable"]["Races"][0]["Results"][18:]
    feed.script(RESULTS, *[{"body": {**cut, "MRData": {**cut["MRData"], "limit": "100"}}}] * 3)

    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 1)

    assert caught.value.kind == "malformed"
    assert "truncated: 18 rows at offset 0, expected 20 of 20" in str(caught.value)


async def test_not_found_is_not_retried(feed, feed_client, sleeps) -> None:
    with pytest.raises(FeedError) as caught:
        await feed_client.results(2025, 99)
    assert caught.value.kind == "not_found"
    assert feed.hits("/2025/99/results.json") == 1 and sleeps == []


async def test_a_feed_nobody_listens_for_is_unreachable(redis: Redis, sleeps) -> None:
    budget = RequestBudget(redis, per_second=100, per_hour=1000)
    async with FeedClient(
        base_url="http://127.0.0.1:9/ergast/f1", budget=budget, max_attempts=2, sleep=sleeps
    ) as client:
        with pytest.raises(FeedError) as caught:
            await client.races(2025)
    assert caught.value.kind == "unreachable" and len(sleeps) == 1


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("12", now=now) == 12.0
    assert retry_after_seconds("Sun, 16 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None, now=now) is None


async def test_budget_is_shared_and_atomic(redis: Redis) -> None:
    one = RequestBudget(redis, per_second=2, per_hour=3, prefix="test:budget")
    other = RequestBudget(redis, per_second=2, per_hour=3, prefix="test:budget")

    waits = await asyncio.gather(*(b.try_acquire(now_ms=10_000) for b in [one, other] * 5))

    assert sorted(waits)[:2] == [0, 0] and all(w > 0 for w in sorted(waits)[2:])
    assert max(waits) <= 1.001
    assert await one.try_acquire(now_ms=11_001) == 0  # a second later: the third of the hour
    hour_wait = await other.try_acquire(now_ms=12_500)
    assert 3590 < hour_wait <= 3600


async def test_budget_gives_up_when_the_wait_is_too_long(redis: Redis, sleeps) -> None:
    budget = RequestBudget(redis, per_second=5, per_hour=1, prefix="test:budget2", sleep=sleeps)
    await budget.acquire(max_wait=1)

    with pytest.raises(BudgetExhausted) as caught:
        await budget.acquire(max_wait=60)

    assert caught.value.wait_seconds > 3000
    assert sleeps == []


async def test_client_reports_an_exhausted_budget_without_asking(
    feed, feed_settings, redis
) -> None:
    tight = feed_settings.model_copy(update={"feed_rate_per_hour": 1, "feed_max_wait_seconds": 5})
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    async with FeedClient.from_settings(tight, redis=redis) as client:
        await client.results(2025, 1)
        with pytest.raises(FeedError) as caught:
            await client.results(2025, 1)
    assert caught.value.kind == "budget"
    assert feed.hits(RESULTS) == 1


def test_sprint_shootout_of_2023_counts_as_sprint_qualifying() -> None:
    from webapp.results.feed_models import FeedRace

    base = load_race()
    shootout = FeedRace.model_validate(
        {**base, "SprintShootout": {"date": "2023-04-29", "time": "14:30:00Z"}}
    )
    assert shootout.sprint_qualifying is not None
    assert shootout.sprint_qualifying.starts_at == datetime(2023, 4, 29, 14, 30, tzinfo=UTC)
    assert FeedRace.model_validate(base).sprint_qualifying is None


def load_race() -> dict:
    from .conftest import load_fixture

    race = load_fixture("2025/1/results.json")["MRData"]["RaceTable"]["Races"][0]
    return {k: v for k, v in race.items() if k != "Results"}

"""An unreachable feed: every page's header says so, and polls wait an hour, not seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from quart import Quart
from redis.asyncio import Redis

from tests.live.servers import free_port
from webapp import gameclock
from webapp.gameclock import ManualClock
from webapp.models import FeedPoll, Race
from webapp.results.feed import FeedClient
from webapp.results.polling import poll_due_races
from webapp.settings import Settings
from workers import tasks

from .conftest import OFFSETS, FakeFeed, Sleeps

RESULTS = "/2025/1/results.json"


@pytest.fixture
async def down_client(
    feed_settings: Settings, redis: Redis, sleeps: Sleeps
) -> AsyncIterator[FeedClient]:
    """Return a client of a feed nobody listens for: every connection is refused."""
    down = feed_settings.model_copy(
        update={"results_api_url": f"http://127.0.0.1:{free_port()}/ergast/f1"}
    )
    async with FeedClient.from_settings(down, redis=redis, sleep=sleeps) as client:
        yield client


@pytest.fixture
def clock(race_one: Race, app: Quart) -> ManualClock:
    """Return a test clock an hour into race one, which the pages read too."""
    manual = ManualClock(race_one.starts_at + timedelta(hours=1))
    app.config["CLOCK"] = manual.now
    return manual


async def header(app: Quart, path: str = "/races") -> str:
    response = await app.test_client().get(path)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_an_unreachable_feed_is_in_every_header_and_polls_wait_for_the_hourly_one(
    app: Quart,
    clock: ManualClock,
    feed: FakeFeed,
    feed_client: FeedClient,
    down_client: FeedClient,
    race_one: Race,
) -> None:
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    failed_at = clock.now()

    (outcome,) = await poll_due_races(client=down_client, offsets_hours=OFFSETS, now=failed_at)

    assert (outcome.race_id, outcome.outcome, outcome.ok) == (race_one.id, "unreachable", False)
    notice = f"Results feed unreachable since {failed_at:%H:%M} UTC; last contact never."
    for path in ("/races", "/leaderboard", f"/races/{race_one.id}"):
        assert notice in await header(app, path)

    # Within the hour nothing asks the feed again, though the race is due (and the feed is
    # back): the five-minute retry gap is not used for a feed that could not be reached.
    for minutes in (5, 30, 59):
        clock.at = failed_at + timedelta(minutes=minutes)
        assert (
            await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now()) == []
        )
    assert feed.hits(RESULTS) == 0
    assert await FeedPoll.filter(race_id=race_one.id).count() == 1
    assert notice in await header(app)

    clock.at = failed_at + timedelta(hours=1)
    (back,) = await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now())

    assert (back.outcome, back.ok) == ("new_version", True)
    assert feed.hits(RESULTS) == 1
    page = await header(app)
    assert "Results feed unreachable" not in page
    assert f"Results feed last reached {clock.at:%Y-%m-%dT%H:%M}" in page


async def test_a_feed_that_never_answers_counts_as_unreachable(
    app: Quart, clock: ManualClock, feed: FakeFeed, feed_client: FeedClient, race_one: Race
) -> None:
    feed.script(RESULTS, *[{"hang": True}] * 3)  # every attempt times out

    (outcome,) = await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now())

    assert outcome.outcome == "timeout"
    assert "Results feed unreachable since" in await header(app)
    clock.at += timedelta(minutes=10)
    assert await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now()) == []


async def test_a_bad_answer_is_not_an_outage(
    app: Quart, clock: ManualClock, feed: FakeFeed, feed_client: FeedClient, race_one: Race
) -> None:
    feed.script(RESULTS, *[{"status": 200, "body": "not json"}] * 3)

    (outcome,) = await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now())

    assert outcome.outcome == "malformed"
    assert "Results feed unreachable" not in await header(app)
    clock.at += timedelta(minutes=5)  # the usual retry gap, the feed itself answered
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    (again,) = await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=clock.now())
    assert again.outcome == "new_version"


async def test_a_replay_does_not_show_the_outage(
    app: Quart, clock: ManualClock, down_client: FeedClient, race_one: Race
) -> None:
    await poll_due_races(client=down_client, offsets_hours=OFFSETS, now=clock.now())
    assert "Results feed unreachable" in await header(app)
    replay = gameclock.ReplayClock(
        race_starts=[race_one.starts_at], began=clock.now(), minutes_per_race=10
    )
    previous = gameclock.use(replay)
    try:
        assert "Results feed unreachable" not in await header(app)
    finally:
        gameclock.use(previous)


async def test_a_queued_poll_of_an_unreachable_feed_is_not_retried(
    feed_settings: Settings, race_one: Race, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = feed_settings.model_copy(
        update={
            "results_api_url": f"http://127.0.0.1:{free_port()}/ergast/f1",
            "feed_max_attempts": 1,
        }
    )
    monkeypatch.setattr(tasks, "get_settings", lambda: down)

    # Returning, not raising: the retry middleware leaves it to the hourly timetable.
    assert await tasks.poll_race(race_one.id) == "unreachable"

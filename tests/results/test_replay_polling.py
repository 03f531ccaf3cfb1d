"""On a replay the scheduler's timetable and the poll records run on the replayed season's time."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from tests.live.servers import free_port
from tests.replay import conftest as on_replay
from tests.replay.conftest import BEGAN, Replaying
from webapp import gameclock
from webapp.models import FeedPoll, Race
from webapp.results.feed import FeedClient
from webapp.results.polling import close_abandoned_polls, feed_last_reached, poll_due_races
from webapp.settings import Settings

from .conftest import OFFSETS, FakeFeed, Sleeps, load_fixture

RESULTS = "/2024/1/results.json"
# The replay's fixtures, shared with tests/replay.
replaying = on_replay.replaying
season_2024 = on_replay.season_2024


def no_results_yet(feed: FakeFeed) -> None:
    """Have the feed answer round one of 2024 with no results yet."""
    doc = load_fixture("2025/1/results_empty.json")
    doc["MRData"]["RaceTable"]["season"] = "2024"
    feed.serve(RESULTS, doc)


async def test_the_scheduler_polls_a_race_when_the_replay_reaches_its_start(
    season_2024: int, replaying: Replaying, feed: FakeFeed, feed_client: FeedClient
) -> None:
    """Nothing is due before round one starts on the replay; one real slot in, it is polled."""
    no_results_yet(feed)
    race = await Race.get(season_id=2024, round=1)

    replaying.at_minute(9.5)
    assert await poll_due_races(client=feed_client, offsets_hours=OFFSETS) == []
    assert feed.hits(RESULTS) == 0

    season_now = replaying.at_minute(10.05)
    outcomes = await poll_due_races(client=feed_client, offsets_hours=OFFSETS)
    assert [(o.race_id, o.outcome) for o in outcomes] == [(race.id, "no_results")]
    assert feed.hits(RESULTS) == 1
    poll = await FeedPoll.get(race_id=race.id)
    assert poll.started_at == season_now and poll.started_at >= race.starts_at
    assert poll.finished_at == season_now
    # The header's last contact is the real time of the poll, not the season's.
    assert await feed_last_reached() == BEGAN + timedelta(minutes=10.05)


async def test_a_poll_is_abandoned_after_real_minutes_not_season_ones(
    season_2024: int, replaying: Replaying
) -> None:
    """A real minute is most of a season's day: an open poll survives it, five real ones not."""
    race = await Race.get(season_id=2024, round=1)
    started = replaying.at_minute(10.05)
    await FeedPoll.create(race_id=race.id, started_at=started, worker="w:1")
    after = timedelta(minutes=5)

    now = replaying.at_minute(11.05)
    assert now - started > timedelta(hours=12)
    assert await close_abandoned_polls(now=now, abandon_after=after, closed_by="w:2") == 0

    now = replaying.at_minute(15.1)
    assert await close_abandoned_polls(now=now, abandon_after=after, closed_by="w:2") == 1
    poll = await FeedPoll.get(race_id=race.id)
    assert (poll.outcome, poll.closed_by, poll.finished_at) == ("abandoned", "w:2", now)
    assert gameclock.real_time(poll.finished_at) == BEGAN + timedelta(minutes=15.1)


async def test_an_unreachable_feed_holds_polls_back_an_hour_of_real_time(
    season_2024: int,
    replaying: Replaying,
    feed: FakeFeed,
    feed_client: FeedClient,
    feed_settings: Settings,
    redis: Redis,
    sleeps: Sleeps,
) -> None:
    """On a replay the back-off after an outage is a real hour, not an hour of the season."""
    no_results_yet(feed)
    race = await Race.get(season_id=2024, round=1)
    down = feed_settings.model_copy(
        update={"results_api_url": f"http://127.0.0.1:{free_port()}/ergast/f1"}
    )
    replaying.at_minute(10.05)
    async with FeedClient.from_settings(down, redis=redis, sleep=sleeps) as down_client:
        (failed,) = await poll_due_races(client=down_client, offsets_hours=OFFSETS)
    assert (failed.race_id, failed.outcome) == (race.id, "unreachable")

    # Days of the season pass within the real hour, and nothing asks the feed.
    for minute in (11.0, 40.0, 70.0):
        replaying.at_minute(minute)
        assert await poll_due_races(client=feed_client, offsets_hours=OFFSETS) == []
    assert feed.hits(RESULTS) == 0

    replaying.at_minute(10.05 + 60.1)
    back = await poll_due_races(client=feed_client, offsets_hours=OFFSETS)
    assert (back[0].race_id, back[0].outcome) == (race.id, "no_results")
    assert feed.hits(RESULTS) == 1

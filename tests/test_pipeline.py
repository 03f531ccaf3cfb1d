"""Every way results or a race's status change comes in runs the same pipeline and says so alike."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from webapp.events import race_channel, season_channel, user_channel
from webapp.models import Notification, Race, RaceStatus, Team
from webapp.results.polling import poll_race

from .results.conftest import (  # noqa: F401  (fixtures by name)
    OFFSETS,
    Players,
    PollCommand,
    admin_items,
    feed,
    feed_client,
    feed_settings,
    players,
    poll_command,
    race_one,
    sleeps,
)

RESULTS = "/2025/1/results.json"
Event = tuple[str, str, str]


@asynccontextmanager
async def heard(redis: Redis, race: Race, players: Players) -> AsyncIterator[list[Event]]:
    """Collect, as (channel, type, detail), what is published on the race's channels meanwhile."""
    owners = {t.owner_id: name for name, t in vars(players).items()}  # type: ignore[attr-defined]
    names = {race_channel(race.id): "race", season_channel(2025): "season"}
    names |= {user_channel(user_id): name for user_id, name in owners.items()}
    pubsub = redis.pubsub()
    await pubsub.subscribe(*names)
    events: list[Event] = []
    try:
        yield events
        quiet = 0
        while quiet < 3:
            message = await pubsub.get_message(timeout=0.2)
            if message is None:
                quiet += 1
                continue
            if message["type"] != "message":
                continue  # a subscription's confirmation
            data = json.loads(message["data"])
            detail = data.get("status") or str(data.get("count") or "")
            events.append((names[message["channel"]], data["type"], detail))
    finally:
        await pubsub.aclose()


async def board(client: Any) -> dict[str, int]:
    """Return the public season board as team name → points."""
    response = await client.get("/api/v1/leaderboard?limit=10")
    assert response.status_code == 200
    return {row["team"]["name"]: row["points"] for row in (await response.get_json())["items"]}


async def by_poll(race: Race, feed_client: Any, **_: Any) -> None:
    await poll_race(
        race_id=race.id,
        client=feed_client,
        offsets_hours=OFFSETS,
        now=race.starts_at + timedelta(hours=2),
    )


async def by_manual_entry(race: Race, client: Any, admin_headers: dict[str, str], **_: Any) -> None:
    items = await admin_items("2025/1/results.json")
    response = await client.put(
        f"/api/v1/admin/races/{race.id}/results", json={"items": items}, headers=admin_headers
    )
    assert response.status_code == 200, await response.get_json()


async def by_command_line(race: Race, poll_command: PollCommand, **_: Any) -> None:
    code, output = await poll_command(race.id)
    assert code == 0, output


ENTRY_POINTS: dict[str, Callable[..., Awaitable[None]]] = {
    "feed poll": by_poll,
    "manual entry": by_manual_entry,
    "command line": by_command_line,
}


@pytest.fixture
async def admin_headers(make_user, auth_headers) -> dict[str, str]:
    return auth_headers(await make_user(username="steward", is_admin=True))


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
async def test_new_results_are_scored_ranked_notified_and_announced_alike(
    entry, client, redis, feed, feed_client, poll_command, race_one, players, admin_headers
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    async with heard(redis, race_one, players) as events:
        await ENTRY_POINTS[entry](
            race_one,
            client=client,
            feed=feed,
            feed_client=feed_client,
            poll_command=poll_command,
            admin_headers=admin_headers,
        )

    assert await board(client) == {"alice racing": 72, "bob racing": 61, "carol racing": 0}
    assert await Notification.filter(type="results_published").count() == 3
    assert sorted(events) == [
        ("alice", "notifications", "1"),
        ("bob", "notifications", "1"),
        ("carol", "notifications", "1"),
        ("race", "results", "provisional"),
        ("season", "scores", ""),
    ]


async def test_cancelling_a_scored_race_takes_its_points_off_the_boards(
    client, redis, feed, feed_client, race_one, players, admin_headers
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await by_poll(race_one, feed_client)

    async with heard(redis, race_one, players) as events:
        response = await client.patch(
            f"/api/v1/admin/races/{race_one.id}",
            json={"status": "cancelled"},
            headers=admin_headers,
        )
        assert response.status_code == 200

    assert await board(client) == {"alice racing": 0, "bob racing": 0, "carol racing": 0}
    assert {t.name: t.points for t in await Team.all()} == {
        "alice racing": 0,
        "bob racing": 0,
        "carol racing": 0,
    }
    assert sorted(events) == [("race", "results", "cancelled"), ("season", "scores", "")]


async def test_reopening_a_final_race_tells_live_pages_and_keeps_the_points(
    client, redis, feed, feed_client, race_one, players, admin_headers
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await by_poll(race_one, feed_client)
    await Race.filter(id=race_one.id).update(status=RaceStatus.FINAL)

    async with heard(redis, race_one, players) as events:
        response = await client.patch(
            f"/api/v1/admin/races/{race_one.id}",
            json={"status": "provisional"},
            headers=admin_headers,
        )
        assert response.status_code == 200

    assert (await Race.get(id=race_one.id)).status == RaceStatus.PROVISIONAL
    assert await board(client) == {"alice racing": 72, "bob racing": 61, "carol racing": 0}
    assert events == [("race", "results", "provisional")]

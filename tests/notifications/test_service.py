"""Creating notifications once per event, the results ones' shapes, and live announcements."""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

from webapp.events import race_channel, season_channel, user_channel
from webapp.models import Notification, NotificationType
from webapp.notifications.service import (
    NewNotification,
    create_notifications,
    publish_results,
    results_notifications,
)


@dataclass(frozen=True)
class Change:
    team_id: int
    owner_id: int
    old_points: int | None
    new_points: int


async def test_the_same_event_never_notifies_twice(make_user, redis: Redis) -> None:
    alice = await make_user(username="alice")
    first = NewNotification(
        user_id=alice.id,
        type=NotificationType.RESULTS_PUBLISHED,
        title="t",
        body="b",
        dedup_key="results_published:1:7",
        data={"race_id": 1, "team_id": 7, "points": 12},
    )
    other = NewNotification(
        user_id=alice.id,
        type=NotificationType.RESULTS_PUBLISHED,
        title="t2",
        body="b2",
        dedup_key="results_published:2:7",
    )

    created = await create_notifications([first])
    again = await create_notifications([first, other])

    assert created == [first] and again == [other]
    rows = await Notification.filter(user_id=alice.id).order_by("id")
    assert [(n.dedup_key, n.data, n.read_at) for n in rows] == [
        ("results_published:1:7", {"race_id": 1, "team_id": 7, "points": 12}, None),
        ("results_published:2:7", {}, None),
    ]
    assert await create_notifications([]) == []


def test_results_notifications_follow_the_api_shapes() -> None:
    changes = [
        Change(team_id=1, owner_id=10, old_points=None, new_points=31),
        Change(team_id=2, owner_id=20, old_points=72, new_points=17),
        Change(team_id=3, owner_id=30, old_points=5, new_points=5),
    ]

    items = results_notifications(
        race_id=9,
        race_name="Belgian Grand Prix",
        version=2,
        changes=changes,
        team_names={1: "Flat Out", 2: "Eau Rouge"},
    )

    assert [(i.user_id, i.type, i.data) for i in items] == [
        (10, NotificationType.RESULTS_PUBLISHED, {"race_id": 9, "team_id": 1, "points": 31}),
        (
            20,
            NotificationType.RESULTS_CHANGED,
            {
                "race_id": 9,
                "team_id": 2,
                "old_points": 72,
                "new_points": 17,
                "url": "/races/9/versions?to=2",
            },
        ),
    ]
    assert items[0].body == "Your team Flat Out scored 31 points in the Belgian Grand Prix."
    assert "17 points instead of 72 points" in items[1].body
    # A correction is its own event per version; a first publication happens once.
    assert items[0].dedup_key == "results_published:9:1"
    assert items[1].dedup_key == "results_changed:9:v2:2"


async def test_results_are_announced_on_race_season_and_user_channels(redis: Redis) -> None:
    pubsub = redis.pubsub()
    await pubsub.subscribe(race_channel(9), season_channel(2025), user_channel(20))
    for _ in range(3):
        await pubsub.get_message(timeout=1)
    note = NewNotification(
        user_id=20, type=NotificationType.RESULTS_CHANGED, title="", body="", dedup_key="k"
    )

    await publish_results(
        race_id=9,
        season=2025,
        version=2,
        status="provisional",
        changed_games=["classic", "grand_prix"],
        notified=[note, note],
    )

    received: dict[str, list[dict]] = {}
    for _ in range(4):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        assert message is not None
        received.setdefault(message["channel"], []).append(json.loads(message["data"]))
    await pubsub.aclose()
    scores = {"type": "scores", "season": 2025, "race_id": 9}
    assert received == {
        race_channel(9): [{"type": "results", "race_id": 9, "version": 2, "status": "provisional"}],
        # One per game whose points changed, naming it.
        season_channel(2025): [scores | {"game": "classic"}, scores | {"game": "grand_prix"}],
        user_channel(20): [{"type": "notifications", "user_id": 20, "count": 2}],
    }


async def test_channels_are_named_per_redis_database(redis: Redis) -> None:
    # Pub/sub ignores database numbers: two deployments on one server must not hear each other.
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    assert race_channel(9) == f"paddock:{db}:race:9"
    assert user_channel(20) == f"paddock:{db}:user:20"

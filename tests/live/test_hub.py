"""The fan-out hub on real Redis: ref-counted channels, one render per topic, slow sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from webapp.live.hub import QUEUE_SIZE, Hub, Subscriber, Topic

GUARD_SECONDS = 10.0
LEAGUE = Topic("league:7", "league", 7, 2025, ("test:hub:season", "test:hub:league:7"))
RACE = Topic("race:3", "race", 3, 2025, ("test:hub:season", "test:hub:race:3"))


class Renders:
    """A renderer that writes each event into a fragment and counts its calls per topic."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    async def __call__(self, topic: Topic, event: dict[str, Any]) -> str | None:
        self.calls[topic.key] = self.calls.get(topic.key, 0) + 1
        if event.get("type") == "sync":
            return f'<div id="{topic.key}" hx-swap-oob="true">now</div>'
        return f'<div id="{topic.key}" hx-swap-oob="true">{event["n"]}</div>'


@pytest.fixture
async def hub(redis: Redis) -> AsyncIterator[tuple[Hub, Renders]]:
    renders = Renders()
    running = Hub(redis, renders)
    await running.start()
    yield running, renders
    await running.stop()


async def listeners(redis: Redis, channel: str) -> int:
    [(_, count)] = await redis.pubsub_numsub(channel)
    return int(count)


async def next_message(subscriber: Subscriber) -> str:
    return await asyncio.wait_for(subscriber.queue.get(), GUARD_SECONDS)


async def send(redis: Redis, channel: str, **event: Any) -> None:
    await redis.publish(channel, json.dumps(event))


async def test_channels_are_subscribed_while_some_topic_needs_them(
    hub: tuple[Hub, Renders], redis: Redis
) -> None:
    live, _ = hub
    one, two = Subscriber(), Subscriber()
    await live.join(one, [LEAGUE])
    await live.join(two, [LEAGUE, RACE])
    assert await listeners(redis, "test:hub:season") == 1  # one subscription serves all
    assert await listeners(redis, "test:hub:race:3") == 1

    await live.leave(two)
    assert await listeners(redis, "test:hub:race:3") == 0
    assert await listeners(redis, "test:hub:league:7") == 1
    await live.leave(one)
    assert await listeners(redis, "test:hub:season") == 0
    assert await listeners(redis, "test:hub:league:7") == 0
    assert live.socket_count == 0


async def test_each_event_is_rendered_once_per_topic_and_sent_to_every_socket(
    hub: tuple[Hub, Renders], redis: Redis
) -> None:
    live, renders = hub
    sockets = [Subscriber() for _ in range(3)]
    for subscriber in sockets:
        await live.join(subscriber, [LEAGUE])
    racer = Subscriber()
    await live.join(racer, [RACE])

    await send(redis, "test:hub:season", n=1)
    messages = [await next_message(s) for s in sockets]
    assert messages == ['<div id="league:7" hx-swap-oob="true">1</div>'] * 3
    assert messages[0] is messages[1] is messages[2]  # the very same string
    assert await next_message(racer) == '<div id="race:3" hx-swap-oob="true">1</div>'
    assert renders.calls == {"league:7": 1, "race:3": 1}

    await send(redis, "test:hub:race:3", n=2)
    assert await next_message(racer) == '<div id="race:3" hx-swap-oob="true">2</div>'
    assert all(s.queue.empty() for s in sockets)


async def test_a_slow_socket_is_dropped_and_the_others_keep_up(
    hub: tuple[Hub, Renders], redis: Redis
) -> None:
    live, _ = hub
    slow, fast = Subscriber(), Subscriber()
    await live.join(slow, [LEAGUE])
    await live.join(fast, [LEAGUE])
    received: list[str] = []
    finished = asyncio.Event()

    async def drain() -> None:
        while not finished.is_set():
            received.append(await fast.queue.get())
            if received[-1].endswith(">last</div>"):
                finished.set()

    reader = asyncio.create_task(drain())
    total = QUEUE_SIZE + 10
    try:
        for n in range(1, total + 1):
            await send(redis, "test:hub:league:7", n=n)
        await send(redis, "test:hub:league:7", n="last")
        await asyncio.wait_for(slow.closed.wait(), GUARD_SECONDS)
        await asyncio.wait_for(finished.wait(), GUARD_SECONDS)
    finally:
        reader.cancel()
    assert slow.reason == "too slow" and live.dropped == 1
    assert slow.queue.qsize() == QUEUE_SIZE  # it got what fitted, then nothing more
    assert len(received) == total + 1  # the fast socket lost nothing


async def test_a_joining_socket_catches_up_once_per_topic_state(
    hub: tuple[Hub, Renders], redis: Redis
) -> None:
    live, renders = hub
    first, second = Subscriber(), Subscriber()
    await live.join(first, [LEAGUE])
    await live.catch_up(first, [LEAGUE])
    await live.join(second, [LEAGUE])
    await live.catch_up(second, [LEAGUE])
    assert await next_message(first) == await next_message(second)
    assert renders.calls == {"league:7": 1}  # the second one got the same snapshot

    await send(redis, "test:hub:league:7", n=5)
    assert await next_message(first) == '<div id="league:7" hx-swap-oob="true">5</div>'
    third = Subscriber()
    await live.join(third, [LEAGUE])
    await live.catch_up(third, [LEAGUE])
    assert await next_message(third) == '<div id="league:7" hx-swap-oob="true">now</div>'
    assert renders.calls == {"league:7": 3}  # an event made the old snapshot stale


async def test_stopping_closes_every_socket(hub: tuple[Hub, Renders]) -> None:
    live, _ = hub
    subscriber = Subscriber()
    await live.join(subscriber, [RACE])
    live.close_sockets("shutdown")
    assert subscriber.closed.is_set() and subscriber.reason == "shutdown"


async def test_sockets_joining_together_share_one_snapshot_render(
    hub: tuple[Hub, Renders],
) -> None:
    live, renders = hub
    crowd = [Subscriber() for _ in range(20)]

    async def arrive(subscriber: Subscriber) -> None:
        await live.join(subscriber, [LEAGUE])
        await live.catch_up(subscriber, [LEAGUE])

    await asyncio.gather(*(arrive(s) for s in crowd))
    assert renders.calls == {"league:7": 1}
    assert {await next_message(s) for s in crowd} == {
        '<div id="league:7" hx-swap-oob="true">now</div>'
    }


async def test_an_event_that_changes_nothing_on_screen_sends_nothing(
    hub: tuple[Hub, Renders], redis: Redis
) -> None:
    live, renders = hub
    subscriber = Subscriber()
    await live.join(subscriber, [RACE])
    for n in (1, 1, 2):
        await send(redis, "test:hub:race:3", n=n)
    assert await next_message(subscriber) == '<div id="race:3" hx-swap-oob="true">1</div>'
    assert await next_message(subscriber) == '<div id="race:3" hx-swap-oob="true">2</div>'
    assert renders.calls == {"race:3": 3}  # rendered each time, sent only when it differed

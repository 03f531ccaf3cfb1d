"""One Redis pub/sub listener per process, fanning each event out to the sockets that want it.

Sockets join with topics; each topic listens on one or more channels. A channel is
subscribed while at least one subscribed topic needs it (reference counts), so a process
only hears about the leagues, races and users its sockets show. For each event the hub
asks the renderer once per topic for the HTML to send, and offers the same string to
every socket of that topic. A socket's mailbox is a bounded queue: when it is full the
socket is too slow, and it is closed instead of holding anyone else up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from webapp import cache
from webapp.events import Event, control_channel

log = logging.getLogger(__name__)

# Keeps the pub/sub connection subscribed (and the listener reading) while no socket is open.
QUEUE_SIZE = 32
# A reconnect storm (a restart, a network blip) asks for the same snapshot many times.
SNAPSHOT_SECONDS = 2.0
# The listener wakes this often without traffic, so the client's health check can run.
POLL_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Topic:
    """Something a page watches: `leaderboard`, `league:{id}`, `race:{id}` or `user:{id}`."""

    key: str
    kind: str
    ident: int
    season: int
    channels: tuple[str, ...]
    # The game of an overall or race board (a league's board is of the league's game).
    game: str = "classic"


# render(topic, event) -> HTML to push to the topic's sockets, or None when nothing shows it.
# Events are the JSON published on the channels; {"type": "sync"} asks for the current state.
Renderer = Callable[[Topic, dict[str, Any]], Awaitable[str | None]]
SYNC: dict[str, Any] = {"type": Event.SYNC}


class Subscriber:
    """One socket's mailbox: the hub fills it without waiting, the socket drains it."""

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self.closed = asyncio.Event()
        self.reason = ""

    def offer(self, message: str) -> bool:
        """Queue a message; a full queue closes the subscriber. Return whether it was queued."""
        if self.closed.is_set():
            return False
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.close("too slow")
            return False
        return True

    def close(self, reason: str) -> None:
        """Ask the socket to close (it watches `closed`)."""
        if not self.closed.is_set():
            self.reason = reason
            self.closed.set()


class Hub:
    """The process's pub/sub listener and the topic-to-socket registry."""

    def __init__(
        self,
        redis: Redis,
        render: Renderer,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._redis = redis
        self._render = render
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._topics: dict[str, Topic] = {}
        self._members: dict[str, set[Subscriber]] = {}
        self._joined: dict[Subscriber, list[str]] = {}
        self._channel_refs: dict[str, int] = {}
        self._subscribed: set[str] = set()
        # topic -> (generation, html), a few seconds: generations count the topic's events.
        self._snapshots = cache.Local("live-snapshot", seconds=SNAPSHOT_SECONDS, clock=clock)
        self._generations: dict[str, int] = {}
        self._snapshot_locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, str] = {}  # the last message pushed, per topic
        self._reconnected = False
        self.dropped = 0

    @property
    def socket_count(self) -> int:
        """Return how many sockets are joined."""
        return len(self._joined)

    def subscribed_channels(self) -> set[str]:
        """Return the channels this process listens on for its sockets."""
        return set(self._subscribed)

    async def start(self) -> None:
        """Open the pub/sub connection and start listening."""
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(control_channel())
        assert self._pubsub.connection is not None
        self._pubsub.connection.register_connect_callback(self._on_connect)
        self._task = asyncio.create_task(self._listen(), name="live-hub")

    def close_sockets(self, reason: str) -> None:
        """Ask every joined socket to close."""
        for subscriber in list(self._joined):
            subscriber.close(reason)

    async def stop(self) -> None:
        """Close every socket, stop listening and release the connection."""
        self.close_sockets("shutdown")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pubsub is not None:
            if self._pubsub.connection is not None:
                # The connection goes back to the shared pool: it must not call us any more.
                self._pubsub.connection.deregister_connect_callback(self._on_connect)
            await self._pubsub.aclose()
            self._pubsub = None
        self._subscribed.clear()

    async def join(self, subscriber: Subscriber, topics: Iterable[Topic]) -> None:
        """Register a socket for topics; channels are subscribed before this returns."""
        keys = []
        for topic in topics:
            if topic.key in keys:
                continue
            keys.append(topic.key)
            members = self._members.setdefault(topic.key, set())
            if not members:
                self._topics[topic.key] = topic
                for channel in topic.channels:
                    self._channel_refs[channel] = self._channel_refs.get(channel, 0) + 1
            members.add(subscriber)
        self._joined[subscriber] = keys
        await self._sync_channels()

    async def leave(self, subscriber: Subscriber) -> None:
        """Forget a socket; channels nobody needs any more are unsubscribed."""
        for key in self._joined.pop(subscriber, []):
            members = self._members.get(key)
            if members is None:
                continue
            members.discard(subscriber)
            if not members:
                del self._members[key]
                topic = self._topics.pop(key)
                self._snapshots.forget(key)
                self._generations.pop(key, None)
                self._snapshot_locks.pop(key, None)
                self._last.pop(key, None)
                for channel in topic.channels:
                    self._channel_refs[channel] -= 1
                    if self._channel_refs[channel] <= 0:
                        del self._channel_refs[channel]
        await self._sync_channels()

    async def catch_up(self, subscriber: Subscriber, topics: Iterable[Topic]) -> None:
        """Queue the current state of each topic for a socket that just joined them."""
        for topic in topics:
            try:
                html = await self._snapshot(topic)
            except Exception:
                # The socket still gets every event from now on; only the catch-up is lost.
                log.exception("live snapshot failed", extra={"topic": topic.key})
                continue
            if html is not None:
                subscriber.offer(html)

    async def _snapshot(self, topic: Topic) -> str | None:
        """Return a topic's state, rendered once for all sockets joining at about the same time.

        None when an event came in meanwhile: its push, fresher, is queued already.
        """
        generation = self._generations.get(topic.key, 0)
        async with self._snapshot_locks.setdefault(topic.key, asyncio.Lock()):
            if self._generations.get(topic.key, 0) != generation:
                return None
            kept = self._snapshots.get(topic.key)
            if kept is not None and kept[0] == generation:
                return str(kept[1]) if kept[1] is not None else None
            started = self._clock()
            html = await self._render(topic, SYNC)
            if self._generations.get(topic.key, 0) != generation:
                return None
            if topic.key in self._members:
                # Counted from when the render began: what it read is that old.
                lifetime = SNAPSHOT_SECONDS - (self._clock() - started)
                self._snapshots.put(topic.key, (generation, html), seconds=lifetime)
            return html

    async def dispatch(self, channel: str, event: dict[str, Any]) -> None:
        """Render an event once per interested topic and offer it to each of its sockets."""
        for topic in list(self._topics.values()):
            if channel in topic.channels:
                await self._push(topic, event)

    async def resync(self) -> None:
        """Push every topic's current state, after events may have been missed."""
        for topic in list(self._topics.values()):
            await self._push(topic, SYNC)

    async def _push(self, topic: Topic, event: dict[str, Any]) -> None:
        self._generations[topic.key] = self._generations.get(topic.key, 0) + 1
        try:
            html = await self._render(topic, event)
        except Exception:
            log.exception("live render failed", extra={"topic": topic.key, "event": event})
            return
        if html is None or html == self._last.get(topic.key):
            return  # nothing on screen would change
        self._last[topic.key] = html
        for subscriber in list(self._members.get(topic.key, ())):
            was_open = not subscriber.closed.is_set()
            if not subscriber.offer(html) and was_open:
                self.dropped += 1

    async def _sync_channels(self) -> None:
        """Make the pub/sub subscriptions match the reference counts."""
        async with self._lock:
            if self._pubsub is None:
                return
            wanted = set(self._channel_refs)
            extra = sorted(self._subscribed - wanted)
            missing = sorted(wanted - self._subscribed)
            if missing:
                await self._pubsub.subscribe(*missing)
                self._subscribed.update(missing)
            if extra:
                await self._pubsub.unsubscribe(*extra)
                self._subscribed.difference_update(extra)

    async def _on_connect(self, connection: object) -> None:
        # Called on every (re)connection after the first: events may have been lost meanwhile.
        self._reconnected = True

    async def _listen(self) -> None:
        """Read messages until cancelled, surviving Redis restarts."""
        assert self._pubsub is not None
        backoff = 0.5
        while True:
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=self._poll_seconds
                )
            except (RedisError, OSError):
                log.warning("live listener lost Redis; retrying", exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                self._reconnected = True
                continue
            backoff = 0.5
            if self._reconnected:
                self._reconnected = False
                await self.resync()
            if not message or message.get("type") != "message":
                continue
            channel = message["channel"]
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                log.warning("live event is not JSON", extra={"channel": channel})
                continue
            if not isinstance(event, dict):
                continue
            if channel == control_channel():
                self.control(event)
            else:
                await self.dispatch(channel, event)

    def control(self, event: dict[str, Any]) -> None:
        """Act on a message every process hears: drop what a moved generation outdated."""
        if event.get("type") == Event.DROPPED:
            names = [str(name) for name in event.get("generations", ())]
            # The pages this process keeps for a second were built before the change.
            cache.drop_local(*(cache.Generation(name) for name in names))

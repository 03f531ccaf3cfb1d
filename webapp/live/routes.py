"""The `/ws` websocket: check the origin, resolve topics, then pump the hub's messages out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from urllib.parse import urlsplit

from prometheus_client import Counter, Gauge
from quart import Blueprint, Quart, Response, current_app, websocket
from quart.wrappers.base import ClientDisconnectedError

from webapp.auth.current import session_user
from webapp.live.hub import Hub, Subscriber
from webapp.live.render import make_renderer
from webapp.live.topics import resolve_topics
from webapp.redis import get_redis
from webapp.settings import Settings

log = logging.getLogger(__name__)
live = Blueprint("live", __name__)

SOCKETS = Gauge("paddock_ws_sockets", "Open live websockets in this process")
DROPPED = Counter("paddock_ws_dropped_total", "Websockets closed for not keeping up")
# 1013 "try again later": the htmx ws extension reconnects and the page catches up.
CLOSE_SLOW, CLOSE_SHUTDOWN = 1013, 1001
CLOSE_SECONDS = 5.0


def origin_allowed(origin: str | None, *, host: str, settings: Settings) -> bool:
    """Tell whether a handshake's Origin is this site (or an allowed CORS origin)."""
    if not origin:
        return False
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.cors_origins}:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or (settings.force_https and parts.scheme != "https"):
        return False
    return parts.netloc.lower() == host.lower()


def get_hub() -> Hub:
    """Return this process's hub."""
    hub: Hub = current_app.extensions["live_hub"]
    return hub


@live.websocket("/ws")
async def live_socket() -> Response | None:
    """Stream OOB fragments for the topics the page asked for and the caller may see."""
    settings: Settings = current_app.config["SETTINGS"]
    if not origin_allowed(websocket.headers.get("Origin"), host=websocket.host, settings=settings):
        return Response("This origin may not open live updates", status=403)
    user = await session_user()
    topics = await resolve_topics(
        websocket.args.get("topics", ""), user=user, configured_season=settings.current_season()
    )
    await websocket.accept()
    hub = get_hub()
    subscriber = Subscriber()
    tasks: list[asyncio.Task[object]] = []
    SOCKETS.inc()
    try:
        await hub.join(subscriber, topics)
        await hub.catch_up(subscriber, topics)
        tasks = [
            asyncio.create_task(_pump(subscriber)),
            asyncio.create_task(_discard_incoming()),
            asyncio.create_task(subscriber.closed.wait()),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, ClientDisconnectedError):
                raise error
        if subscriber.closed.is_set():
            if subscriber.reason == "too slow":
                DROPPED.inc()
                log.info("live socket dropped: too slow", extra={"topics": len(topics)})
            code = CLOSE_SLOW if subscriber.reason == "too slow" else CLOSE_SHUTDOWN
            for task in tasks:
                task.cancel()
            # A client that stopped reading may never take the close frame either.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code, subscriber.reason), CLOSE_SECONDS)
    finally:
        SOCKETS.dec()
        for task in tasks:
            task.cancel()
        await hub.leave(subscriber)
    return None


async def _pump(subscriber: Subscriber) -> None:
    """Send queued messages in order, as fast as the client takes them."""
    while True:
        await websocket.send(await subscriber.queue.get())


async def _discard_incoming() -> None:
    """Read and drop whatever the client sends, so nothing piles up."""
    while True:
        await websocket.receive()


def init_live(app: Quart) -> None:
    """Register `/ws` and run one hub per process while the app serves."""
    app.register_blueprint(live)

    @app.while_serving
    async def _hub() -> AsyncGenerator[None]:
        # while_serving starts after every before_serving hook (Redis is open by then) and
        # stops before the after_serving ones (it is still open while sockets close).
        hub = Hub(get_redis(), make_renderer(app))
        await hub.start()
        app.extensions["live_hub"] = hub
        try:
            yield
        finally:
            app.extensions.pop("live_hub", None)
            with contextlib.suppress(Exception):
                await hub.stop()

"""Run one web process on Hypercorn: `paddock-web [--bind HOST:PORT]` (the Procfile's web).

Why not the `hypercorn` command: on SIGTERM it stops listening and then waits for every
open connection to end before it runs the app's shutdown (Python >= 3.12 waits in
`Server.wait_closed`), so an open websocket held a stopping process up until its client
left. Here the shutdown trigger first closes the live sockets (close code 1001, and the
htmx ws extension reconnects to another process), then lets Hypercorn finish as usual.
Hypercorn's websocket pinger sleeps a whole ping interval (20 s) before it sees its socket
closed, and the connection waits for it: here it also wakes when the server stops, so a
process that served a websocket still stops at once. Whatever is left after
`graceful_timeout` is cancelled (see webapp/hypercorn_config.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Iterable

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.protocol import h2, h11, ws_stream
from wsproto.connection import Connection
from wsproto.events import Ping

from webapp.app import create_app
from webapp.settings import get_settings

HYPERCORN_HANDSHAKE = ws_stream.Handshake


class UncompressedHandshake(HYPERCORN_HANDSHAKE):
    """Hypercorn's websocket handshake, declining the client's permessage-deflate offer."""

    def accept(
        self, subprotocol: str | None, additional_headers: Iterable[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]], Connection]:
        """Accept as Hypercorn does, with no extension: every message goes uncompressed."""
        self.extensions = None
        return super().accept(subprotocol, additional_headers)


class StoppingPingsStream(ws_stream.WSStream):
    """Hypercorn's websocket stream, whose pinger also stops when the server stops."""

    async def _send_pings(self) -> None:
        """Ping every interval until the socket closes or the server stops, whichever first."""
        interval = self.config.websocket_ping_interval
        while not self.closed and not self.context.terminated.is_set():
            await self._send_wsproto_event(Ping())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.context.terminated.wait(), interval)


def stop_pings_on_shutdown() -> None:
    """Make Hypercorn's HTTP/1.1 and HTTP/2 connections use `StoppingPingsStream`."""
    h11.WSStream = StoppingPingsStream  # type: ignore[attr-defined]
    h2.WSStream = StoppingPingsStream  # type: ignore[attr-defined]


def use_websocket_compression(enabled: bool) -> None:
    """Make Hypercorn accept permessage-deflate on websockets (its default) or decline it."""
    # Hypercorn 0.18 has no setting for this and always accepts it. Compressing costs the
    # server one deflate per socket per message: most of a fan-out to thousands of sockets.
    ws_stream.Handshake = HYPERCORN_HANDSHAKE if enabled else UncompressedHandshake  # type: ignore[misc]


async def run(*, bind: str) -> None:
    """Serve the app on `bind` until SIGINT or SIGTERM."""
    use_websocket_compression(get_settings().ws_compression)
    stop_pings_on_shutdown()
    config = Config.from_object("webapp.hypercorn_config")
    config.bind = [bind]
    config.workers = 1  # this process serves; the file's 0 means the same to the CLI
    app = create_app()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)

    async def shutdown_trigger() -> None:
        await stopping.wait()
        hub = app.extensions.get("live_hub")
        if hub is not None:
            hub.close_sockets("shutdown")

    await serve(app, config, shutdown_trigger=shutdown_trigger)


def main() -> None:
    """Parse `--bind` (default 0.0.0.0:PORT) and serve."""
    parser = argparse.ArgumentParser(prog="paddock-web", description=__doc__)
    parser.add_argument("--bind", default=f"0.0.0.0:{get_settings().port}")
    asyncio.run(run(bind=parser.parse_args().bind))


if __name__ == "__main__":
    main()

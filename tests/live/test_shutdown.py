"""A web process told to stop closes its live sockets first, then exits cleanly."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live.servers import child_env, free_port, wait_ready, web

GUARD_SECONDS = 30.0


async def test_sigterm_closes_live_sockets_and_the_process_exits(
    season: int, redis: object
) -> None:
    port = free_port()
    process = web(port, child_env()).start()
    try:
        await wait_ready(process, f"http://127.0.0.1:{port}")
        url = f"ws://127.0.0.1:{port}/ws?topics=leaderboard"
        async with connect(url, origin=f"http://127.0.0.1:{port}") as socket:  # type: ignore[arg-type]
            await asyncio.wait_for(socket.recv(), GUARD_SECONDS)  # caught up: it is live
            process.terminate()
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), GUARD_SECONDS)
        # "Going away": the htmx ws extension reconnects, to another process behind the balancer.
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert process.popen is not None
        code = await asyncio.wait_for(asyncio.to_thread(process.popen.wait), GUARD_SECONDS)
        assert code == 0, process.output()
    finally:
        process.stop()

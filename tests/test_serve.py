"""The web process as the Procfile runs it: websocket compression follows WS_COMPRESSION."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect

from tests.live.servers import child_env, running_web


@pytest.mark.parametrize(
    ("setting", "answer"),
    [(None, None), ("false", None), ("true", "permessage-deflate")],
)
async def test_websockets_are_compressed_only_when_the_setting_asks(
    season: int, redis: object, setting: str | None, answer: str | None
) -> None:
    env = child_env()
    env.pop("WS_COMPRESSION", None)
    if setting is not None:
        env["WS_COMPRESSION"] = setting
    async with (
        running_web(env) as base,
        # The client offers permessage-deflate, as browsers do.
        connect(
            base.replace("http", "ws", 1) + "/ws?topics=leaderboard",
            origin=base,
            compression="deflate",
        ) as socket,
    ):
        extensions = socket.response.headers.get("Sec-WebSocket-Extensions")
        assert (extensions or "").split(";")[0] == (answer or "")
        assert "<" in str(await socket.recv())  # the page's catch-up still arrives

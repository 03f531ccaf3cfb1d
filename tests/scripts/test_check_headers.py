"""scripts/check_headers.py against a real web process: a page, an API answer, a websocket."""

from __future__ import annotations

import asyncio
import sys

from tests.live.servers import running_web
from webapp.settings import ROOT


async def test_headers_of_page_api_and_websocket_upgrade(season: int) -> None:
    async with running_web() as base:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "scripts" / "check_headers.py"),
            base,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 0, text
    sections = text.split("\n== ")
    upgrade = next(s for s in sections if s.startswith("websocket upgrade /ws -> 101"))
    assert "x-frame-options: DENY" in upgrade
    assert "x-content-type-options: nosniff" in upgrade
    page = next(s for s in sections if s.startswith("page GET / -> 200"))
    assert "content-security-policy: default-src 'self'" in page
    assert "content-encoding: br" in page
    assert "every response carries the security headers" in text

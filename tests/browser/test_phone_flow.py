"""In Chromium at 375 px: Paddock installs (manifest, service worker), and a leaderboard and a
team page seen once open offline with the time of their copy, then refresh back online.

The app runs as the Procfile's web process; the browser is the system's Chromium.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.steps import CHROMIUM, build_team, register
from tests.live.scenario import CHEAP
from tests.live.servers import running_web

SHOTS = Path(__file__).resolve().parent.parent.parent / ".paddock" / "screenshots"
WIDTH = 375
NOTE = re.compile(r"Offline, last updated at \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def site(season: int, redis: object) -> AsyncIterator[str]:
    """Run one web process on the test services; return its base URL."""
    async with running_web() as base:
        yield base


async def no_sideways_scroll(page: Page) -> None:
    scrolled = await page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= WIDTH, f"{page.url} is {scrolled}px wide at {WIDTH}px"


async def test_paddock_installs_and_shows_seen_pages_offline(
    site: str, season: int, browser: Browser
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(viewport={"width": WIDTH, "height": 800})
    page = await context.new_page()
    await register(page, site, username="olive")
    team_id = await build_team(
        page, site, name="Olive Racing", season=season, refs=CHEAP, captain="Alexander Albon"
    )

    # Installable: the manifest is linked and valid, its icons load, the worker takes over.
    await page.goto(f"{site}/leaderboard")
    manifest = await page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        loaded = await page.evaluate(
            "src => fetch(src).then(r => r.ok && r.headers.get('content-type').split(';')[0])",
            icon["src"],
        )
        assert loaded == icon["type"], icon["src"]
    script = await page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.active && r.active.scriptURL)"
    )
    assert script == f"{site}/sw.js"
    await page.wait_for_function("navigator.serviceWorker.controller !== null")

    # Seen once under the worker, then the network goes: both pages still open.
    await page.reload()
    await expect(page.locator("#offline-note")).to_have_count(0)
    board = await page.locator("main").inner_text()
    assert "Olive Racing" in board
    await page.goto(f"{site}/teams/{team_id}")
    await expect(page.locator("h1")).to_contain_text("Olive Racing")

    await context.set_offline(True)
    await page.goto(f"{site}/leaderboard")
    note = page.locator("#offline-note")
    await expect(note).to_have_text(NOTE)
    await expect(page.locator("main")).to_contain_text("Olive Racing")
    await no_sideways_scroll(page)
    await page.screenshot(path=str(SHOTS / "phone-offline-leaderboard-375.png"), full_page=True)

    await page.reload()
    await expect(note).to_have_text(NOTE)
    await page.goto(f"{site}/teams/{team_id}")
    await expect(page.locator("#offline-note")).to_have_text(NOTE)
    await expect(page.locator("h1")).to_contain_text("Olive Racing")
    await page.screenshot(path=str(SHOTS / "phone-offline-team-375.png"), full_page=True)

    # A page never seen here says so instead of failing.
    await page.goto(f"{site}/leagues/999999")
    await expect(page.locator("h1")).to_have_text("You are offline")

    # Back online, the offline copy gives way to the live page by itself.
    await page.goto(f"{site}/leaderboard")
    await expect(page.locator("#offline-note")).to_have_count(1)
    await context.set_offline(False)
    await expect(page.locator("#offline-note")).to_have_count(0)
    await expect(page.locator("main")).to_contain_text("Olive Racing")

    # The push settings offer this device a button, since the browser can push.
    await page.goto(f"{site}/notifications")
    await expect(page.get_by_role("button", name="Turn on push on this device")).to_be_visible()
    reminder = page.get_by_label("Deadline reminder, an hour before lineups lock")
    await expect(reminder).to_be_visible()
    await no_sideways_scroll(page)
    await page.screenshot(path=str(SHOTS / "phone-push-settings-375.png"), full_page=True)
    await context.close()

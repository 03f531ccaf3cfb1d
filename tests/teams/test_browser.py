"""Two friends build teams and start a league in Chromium on 375 px screens, on the real server."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.live.servers import running_web

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("PADDOCK_SCREENSHOTS")  # a folder, to look at the pages by eye


@pytest.fixture
async def server(db: None, redis: Redis, season: int) -> AsyncIterator[str]:
    async with running_web() as base:
        yield base


async def register(page: Any, server: str, name: str) -> None:
    await page.goto(f"{server}/register")
    await page.fill("#f-email", f"{name}@example.com")
    await page.fill("#f-username", name)
    await page.fill("#f-password", "correct horse battery")
    await page.click("main button[type=submit]")
    await page.wait_for_selector("a.nav-user")


async def pick(page: Any, *codes: str) -> None:
    """Tick drivers by their three-letter code, as a thumb would."""
    for code in codes:
        await page.click(f".pick:has(.code:text-is('{code}')) label.pick-name")


async def fits(page: Any, name: str) -> None:
    """Check that nothing on the page is wider than the phone."""
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


async def build_team(page: Any, server: str, name: str) -> None:
    await page.goto(f"{server}/teams/new")
    await page.fill("#f-name", name)
    await pick(page, "BOR", "ALB", "HAD", "LAW", "DOO")
    await page.check(".pick:has(.code:text-is('ALB')) .captain input")
    await page.wait_for_selector("#lineup-status .valid")
    await page.click("main button[type=submit]:not([name])")
    await page.wait_for_selector(f"h1:text-is('{name}')")


async def test_two_friends_build_teams_and_share_a_league(server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        alice = await (await browser.new_context(viewport=PHONE)).new_page()
        await register(alice, server, "alice")

        # The builder checks the lineup with the server as drivers are picked.
        await alice.goto(f"{server}/teams/new")
        await alice.fill("#f-name", "Alice Racing")
        await pick(alice, "VER", "NOR", "LEC")
        status = alice.locator("#lineup-status")
        await status.locator("text=3/5 drivers").wait_for()
        assert "86.4" in await status.inner_text() and "13.6 left" in await status.inner_text()
        await pick(alice, "RUS", "ALB")
        # The same words as the API's error, once the fifth pick is checked.
        await status.locator("text=Lineup costs 117.6, budget is 100.0").wait_for()
        assert "5/5 drivers" in await status.inner_text()
        await fits(alice, "builder-over-budget")
        await pick(alice, "VER", "NOR", "LEC", "RUS")  # untick the expensive four
        await pick(alice, "BOR", "HAD", "LAW", "DOO")
        await status.locator("text=Choose a captain among your drivers").wait_for()
        await status.locator("text=42.0 of 100.0").wait_for()
        await alice.check(".pick:has(.code:text-is('ALB')) .captain input")
        await status.locator(".valid").wait_for()
        assert "42.0" in await status.inner_text()
        await alice.click("main button[type=submit]:not([name])")
        await alice.wait_for_selector("h1:text-is('Alice Racing')")
        await fits(alice, "team-page")

        await alice.goto(f"{server}/leagues/new")
        await alice.fill("#f-name", "Garage Friends")
        await alice.fill("#f-max_teams", "8")
        await alice.click("main button[type=submit]")
        await alice.wait_for_selector("#invite-code")
        code = (await alice.inner_text("#invite-code")).strip()
        assert len(code) == 8
        await fits(alice, "league-owner")

        bob = await (await browser.new_context(viewport=PHONE)).new_page()
        await register(bob, server, "bob")
        await build_team(bob, server, "Bob Racing")
        await bob.goto(f"{server}/leagues/join")
        await bob.fill("#f-invite_code", code.lower())
        await bob.click("main button[type=submit]")
        await bob.wait_for_selector("#invite-code")
        table = await bob.inner_text("#league-board")
        assert "Alice Racing" in table and "Bob Racing" in table
        await fits(bob, "league-member")

        await bob.click("#league-board a:text-is('Alice Racing')")
        await bob.wait_for_selector("h1:text-is('Alice Racing')")
        assert await bob.locator("input[name=driver_ids]").count() == 0  # not his to edit
        await fits(bob, "team-of-a-friend")

        await alice.reload()
        assert "Bob Racing" in await alice.inner_text("#league-board")
        await alice.goto(f"{server}/leagues")
        assert "Garage Friends" in await alice.inner_text("#my-leagues")
        await fits(alice, "leagues")
        await browser.close()

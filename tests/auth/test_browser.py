"""A person registers, logs in and out in Chromium on a 375 px screen, against the real server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from tests.live.servers import running_web

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")


@pytest.fixture
async def server(db: None, redis: Redis, season: int) -> AsyncIterator[str]:
    async with running_web() as base:
        yield base


async def test_register_log_out_and_back_in_on_a_phone(server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 375, "height": 740})
        await page.goto(f"{server}/register")
        await page.fill("#f-email", "not an email")
        await page.fill("#f-username", "x")
        await page.fill("#f-password", "short")
        await page.click("main button[type=submit]")
        assert "at least 10" in await page.inner_text("#e-password")
        assert "3 to 30" in await page.inner_text("#e-username")

        await page.fill("#f-email", "dana@example.com")
        await page.fill("#f-username", "dana")
        await page.fill("#f-password", "correct horse battery")
        await page.click("main button[type=submit]")
        await page.wait_for_selector("a.nav-user")
        assert await page.inner_text("a.nav-user") == "dana"

        await page.click("button.link-button")
        await page.wait_for_selector("a[href^='/login']")
        await page.goto(f"{server}/profile")
        assert page.url.endswith("/login?next=%2Fprofile")
        await page.fill("#f-username", "DANA@example.com")
        await page.fill("#f-password", "wrong password")
        await page.click("main button[type=submit]")
        assert "Wrong username" in await page.inner_text(".form-error")
        await page.fill("#f-password", "correct horse battery")
        await page.click("main button[type=submit]")
        await page.wait_for_url("**/profile")
        assert await page.input_value("#f-email") == "dana@example.com"
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await browser.close()

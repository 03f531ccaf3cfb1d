"""The browser every browser test drives: the system's Chromium, headless."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser.steps import ARGS, CHROMIUM


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Launch Chromium for one test and close it afterwards."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()

"""The statistics and profile pages in Chromium at 375 px and 1280 px, on the real server."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.browser.steps import ARGS
from tests.live.servers import running_web
from tests.stats.conftest import ROAD, Season2
from webapp.models import League
from webapp.pipeline import rescore_race

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")
SCREENS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture
async def server(db: None, redis: Redis) -> AsyncIterator[str]:
    async with running_web() as base:
        yield base


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Return where screenshots go: PADDOCK_SCREENSHOTS, else the test's own folder."""
    folder = Path(os.environ.get("PADDOCK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_new_pages_fit_phones_and_desktops(
    server: str, two_races: Season2, shots: Path
) -> None:
    from playwright.async_api import async_playwright

    league, drivers = two_races.friends, two_races.world.drivers
    # A public league, so that anyone sees its pictures; Belgium gets a second version.
    await League.filter(id=league.id).update(is_public=True)
    await two_races.world.results(two_races.belgium, ROAD)
    await rescore_race(race_id=two_races.belgium.id)
    pages = {
        "team": f"/teams/{two_races.alpha.id}",
        "driver": f"/drivers/{drivers['RUS'].id}",
        "constructor": f"/constructors/{drivers['LEC'].constructor_id}",  # type: ignore[attr-defined]
        "versions": f"/races/{two_races.belgium.id}/versions",
        "league": f"/leagues/{league.id}",
        "duel": f"/leagues/{league.id}/duel",
        "profile": "/players/alice",
    }
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for screen, size in SCREENS.items():
                page = await browser.new_page(viewport=size)
                for name, path in pages.items():
                    await page.goto(f"{server}{path}")
                    await page.wait_for_selector("main h1")
                    await page.screenshot(path=str(shots / f"{name}-{screen}.png"), full_page=True)
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= size["width"], f"{name} scrolls sideways at {screen}"
                    for chart in await page.query_selector_all("svg.chart"):
                        labelled = await chart.get_attribute("aria-labelledby")
                        assert labelled, name
                        title = await page.text_content(f"[id='{labelled.split()[0]}']")
                        assert title, name
                        box = await chart.bounding_box()
                        assert box is not None and box["width"] <= size["width"], name
                await page.close()
        finally:
            await browser.close()

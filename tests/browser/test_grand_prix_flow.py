"""In Chromium at 375 px: a player switches to Grand Prix, builds a team and reads a race."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.steps import CHROMIUM, register, submit
from tests.live.scenario import CHEAP, race_one
from tests.live.servers import running_web
from webapp.models import Driver, LineupConstructor, Team

SHOTS = Path(__file__).resolve().parent.parent.parent / ".paddock" / "screenshots"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def site(
    season: int, redis: object, constructor_prices: dict[str, int]
) -> AsyncIterator[str]:
    """Run one web process on the test services (constructors priced); return its base URL."""
    async with running_web() as base:
        yield base


async def test_a_grand_prix_team_on_a_phone(
    browser: Browser, site: str, season: int, constructor_prices: dict[str, int]
) -> None:
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await register(page, site, username="weekender")
    await page.goto(f"{site}/teams/new")
    await page.locator('input[name="game"][value="grand_prix"]').check()
    # htmx swaps in the Grand Prix builder and puts its address in the bar.
    await page.wait_for_url(re.compile(r"/teams/new\?game=grand_prix"))
    await expect(page.get_by_text("Constructors: pick 2")).to_be_visible()
    await page.fill("#f-name", "Pocket Racing")
    drivers = {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=list(CHEAP))}
    for ref in CHEAP:
        await page.check(f"#d-{drivers[ref]}")
    await page.check(f"#c-{constructor_prices['alpine']}")
    await page.check(f"#c-{constructor_prices['haas']}")
    await page.locator(f'input[name="captain_id"][value="{drivers[CHEAP[0]]}"]').check()
    status = page.locator("#lineup-status")
    await expect(status).to_contain_text("2/2 constructors")
    await expect(status).to_contain_text("65.0")
    await expect(status).to_contain_text("Lineup is valid.")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    await submit(page, "Create team", r"/teams/\d+")
    team = await Team.get(name="Pocket Racing")
    assert team.game == "grand_prix"
    assert await LineupConstructor.filter(lineup__team_id=team.id).count() == 2
    await expect(page.get_by_role("link", name="Grand Prix", exact=True)).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

    # The race page switches between the games' tables, and fits the phone either way.
    race = await race_one(season)
    await page.goto(f"{site}/races/{race.id}")
    await page.get_by_role("navigation", name="Game").get_by_role("link", name="Grand Prix").click()
    await page.wait_for_url(re.compile(rf"/races/{race.id}\?game=grand_prix"))
    await expect(page.get_by_role("heading", name="Grand Prix teams in this race")).to_be_visible()
    await expect(page.locator('.game-switch [aria-current="page"]')).to_have_text("Grand Prix")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "race-grand-prix-375.png"), full_page=True)
    await page.get_by_role("navigation", name="Game").get_by_role("link", name="Classic").click()
    await expect(page.get_by_role("heading", name="Classic teams in this race")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

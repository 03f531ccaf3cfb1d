"""In Chromium at 375 px: a Grand Prix builder shows the bank, the transfers left, what a
change would cost before it is saved, and plays a chip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.steps import CHROMIUM, register, submit
from tests.live.scenario import CHEAP
from tests.live.servers import running_web
from webapp.models import Driver, Lineup, Race, RaceStatus, TeamChip, TeamRaceScore, User
from webapp.teams.service import create_team

SHOTS = Path(__file__).resolve().parent.parent.parent / ".paddock" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def site(
    season: int, redis: object, constructor_prices: dict[str, int]
) -> AsyncIterator[str]:
    """Run one web process; round 1 locked a day ago, the other rounds a day apart ahead."""
    now = datetime.now(UTC)
    for race in await Race.filter(season_id=season).order_by("round"):
        race.lock_at = now + timedelta(days=-1 if race.round == 1 else race.round - 1)
        race.starts_at = race.lock_at + timedelta(hours=2)
        race.status = RaceStatus.SCHEDULED
        await race.save(update_fields=["lock_at", "starts_at", "status"])
    async with running_web() as base:
        yield base


async def test_the_market_in_the_builder_on_a_phone(
    browser: Browser, site: str, season: int, constructor_prices: dict[str, int]
) -> None:
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    await register(page, site, username="trader")
    owner = await User.get(username="trader")
    by_ref = {d.ref: d.id for d in await Driver.filter(season_id=season)}
    cheap = [by_ref[r] for r in CHEAP]
    team = await create_team(
        owner=owner,
        name="Market Makers",
        driver_ids=cheap,
        captain_id=cheap[0],
        constructor_ids=[constructor_prices["alpine"], constructor_prices["haas"]],
        game="grand_prix",
        now=datetime.now(UTC) - timedelta(days=2),
    )
    first = await Race.get(season_id=season, round=1)
    lineup = await Lineup.get(team_id=team.id)
    await TeamRaceScore.create(
        team_id=team.id,
        race_id=first.id,
        scoring_system="grand_prix",
        lineup_id=lineup.id,
        points=12,
    )
    await page.goto(f"{site}/teams/{team.id}")
    status = page.locator("#lineup-status")
    # 42.0 of drivers and 23.0 of constructors left 35.0; round 1 has locked: 3 free.
    await expect(status.locator("[data-bank]")).to_have_text("35.0")
    await expect(status.locator("[data-transfers]")).to_contain_text("0 of 3 free transfers")
    # Four drivers in, before saving: the builder says what it would cost.
    spare = [
        d.id
        for d in await Driver.filter(season_id=season).exclude(id__in=cheap).order_by("price", "id")
    ][:4]
    for old in cheap[:4]:
        await page.uncheck(f"#d-{old}")
    for new in spare:
        await page.check(f"#d-{new}")
    await page.locator(f'input[name="captain_id"][value="{cheap[4]}"]').check()
    await expect(status.locator("[data-transfers]")).to_contain_text("4 of 3 free transfers")
    await expect(status.locator("[data-penalty]")).to_contain_text("would cost -10 points")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "builder-market-375.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    assert await Lineup.filter(team_id=team.id).count() == 1
    # Playing the Wildcard makes this race's transfers free.
    await page.get_by_role("button", name="Play Wildcard").click()
    wildcard = page.locator('[data-chip="wildcard"]')
    await expect(wildcard).to_have_attribute("data-state", "played")
    await expect(page.locator('[data-chip="extra_boost"]')).to_contain_text("Not now")
    assert await TeamChip.filter(team_id=team.id, chip="wildcard").exists()
    for old in cheap[:4]:
        await page.uncheck(f"#d-{old}")
    for new in spare:
        await page.check(f"#d-{new}")
    await page.locator(f'input[name="captain_id"][value="{cheap[4]}"]').check()
    await expect(status.locator("[data-transfers]")).to_contain_text("all free this race")
    await submit(page, "Save changes", rf"/teams/{team.id}\?saved=1")
    await expect(status.locator("[data-penalty]")).to_contain_text("No transfer penalty")
    await page.screenshot(path=str(SHOTS / "builder-market-wildcard-375.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    # Cancelled, the penalty is back on the saved lineup.
    await page.get_by_role("button", name="Cancel Wildcard").click()
    await expect(wildcard).to_have_attribute("data-state", "available")
    await expect(status.locator("[data-penalty]")).to_contain_text("cost -10 points")

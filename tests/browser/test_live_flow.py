"""In Chromium: a player's league table and unread badge move live as an admin fixes results.

The app runs as the Procfile's web process; Playwright drives the system's Chromium (Debian
package `chromium`, installed by .ci/run), never a browser of its own download.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.steps import CHROMIUM, build_team, register, submit
from tests.live.scenario import CHEAP
from tests.live.servers import running_web
from webapp.auth.tokens import create_access_token
from webapp.models import Driver, Race, User
from webapp.settings import get_settings

LIVE_MS = 15_000  # how long a live change may take to show before the test gives up
# Nine drivers of the top ten around the captain, none of them in the team.
AHEAD = [
    "norris",
    "max_verstappen",
    "russell",
    "antonelli",
    "stroll",
    "hulkenberg",
    "leclerc",
    "piastri",
    "hamilton",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def site(season: int, redis: object) -> AsyncIterator[str]:
    """Run one web process on the test services; return its base URL."""
    async with running_web() as base:
        yield base


class Admin:
    """The operator, calling the admin JSON API of the running site."""

    def __init__(self, site: str, user: User) -> None:
        token, _ = create_access_token(
            user=user, secret=get_settings().signing_key(), access_minutes=30
        )
        self.client = httpx.AsyncClient(
            base_url=f"{site}/api/v1", headers={"Authorization": f"Bearer {token}"}
        )

    async def call(self, method: str, path: str, body: dict[str, Any]) -> None:
        response = await self.client.request(method, path, json=body)
        assert response.status_code == 200, response.text

    async def results(self, race: Race, order: list[str]) -> None:
        """Enter a full classification: `order` first, everyone else after."""
        drivers = {d.ref: d.id for d in await Driver.filter(season_id=race.season_id)}  # type: ignore[attr-defined]
        refs = [*order, *sorted(ref for ref in drivers if ref not in order)]
        items = [
            {
                "driver_id": drivers[ref],
                "position_text": str(place),
                "grid": place,
                "laps": 58,
                "status": "Finished",
                "fastest_lap_rank": None,
            }
            for place, ref in enumerate(refs, start=1)
        ]
        await self.call("PUT", f"/admin/races/{race.id}/results", {"items": items})


async def badge(page: Page) -> int:
    return int(await page.locator("#unread-badge").inner_text())


async def test_a_correction_moves_the_league_table_and_badge_without_a_reload(
    site: str, browser: Browser, season: int, make_user: Callable[..., Awaitable[User]]
) -> None:
    admin = Admin(site, await make_user("admin", is_admin=True))
    race = await Race.get(season_id=season, round=1)
    # Bring the first race into the future so that a lineup saved now counts for it.
    soon = datetime.now(UTC) + timedelta(days=2)
    await admin.call(
        "PATCH",
        f"/admin/races/{race.id}",
        {"lock_at": soon.isoformat(), "starts_at": (soon + timedelta(days=1)).isoformat()},
    )

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    # Recorded from before any page script: a reload would forget both.
    await context.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { window.liveOpen = true; });"
    )
    page = await context.new_page()
    await register(page, site, username="petra")
    team_id = await build_team(
        page, site, name="Petra Racing", season=season, refs=CHEAP, captain="Alexander Albon"
    )

    await page.goto(f"{site}/leagues/new")
    await page.fill("#f-name", "Petra's Paddock")
    await page.fill("#f-max_teams", "20")
    await submit(page, "Create league", r"/leagues/\d+$")
    await page.wait_for_function("window.liveOpen === true", timeout=LIVE_MS)
    await page.evaluate("window.sameDocument = 'yes'")

    points = page.locator(f"#lb-row-{team_id} td.points")
    await expect(points).to_have_text("0")
    unread = await badge(page)

    # Albon, the captain, is fifth: 10 points, doubled; the other four finish outside the top ten.
    await admin.results(race, [*AHEAD[:4], "albon", *AHEAD[4:]])
    await expect(points).to_have_text("20", timeout=LIVE_MS)
    await expect(page.locator("#unread-badge")).to_have_text(str(unread + 1), timeout=LIVE_MS)

    # The stewards correct it: Albon is promoted to fourth.
    await admin.results(race, [*AHEAD[:3], "albon", *AHEAD[3:]])
    await expect(points).to_have_text("24", timeout=LIVE_MS)
    await expect(page.locator("#unread-badge")).to_have_text(str(unread + 2), timeout=LIVE_MS)
    await expect(page.locator("#toasts .toast").last).to_contain_text("score changed")
    assert await page.evaluate("window.sameDocument") == "yes"  # no reload happened
    # The shared table keeps the viewer's own team marked, and "Your teams" follows it.
    await expect(page.locator(f"#lb-row-{team_id}")).to_have_class(re.compile(r"\bmine\b"))
    await expect(page.locator(".mine-list li").first).to_contain_text("#1 Petra Racing · 24 pts")

    # A phone-sized screen: no page scrolls sideways.
    await page.set_viewport_size({"width": 375, "height": 800})
    league_url = page.url
    for path in (
        "/",
        league_url.removeprefix(site),
        "/leaderboard",
        "/leagues",
        f"/teams/{team_id}",
        "/teams/new",
        "/notifications",
        "/races",
        f"/races/{race.id}",
        "/profile",
    ):
        await page.goto(f"{site}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide at 375px"
    await context.close()

    visitor = await browser.new_context(viewport={"width": 375, "height": 800})
    anonymous = await visitor.new_page()
    for path in ("/login", "/register", "/leaderboard", league_url.removeprefix(site)):
        await anonymous.goto(f"{site}{path}")
        width = await anonymous.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide at 375px for a visitor"
    await visitor.close()

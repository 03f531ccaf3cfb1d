"""In Chromium, on a replay: a visitor registers, builds a team, joins the open league and
watches their row appear and then move as the replayed races are scored, with no reload.

The whole app runs as `paddock dev` runs it (web, worker, scheduler under the supervisor)
with REPLAY=2024 at one real minute per race, so the scheduler, the replay feed, the
workers and the sockets are the ones a visitor of `make run` meets.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.steps import CHROMIUM, build_team, register, submit
from tests.live.servers import BIN, Process, child_env, free_port, wait_ready
from webapp.replay.company import public_league_name

SEASON = 2024
# Verstappen (captain) won the first two races of 2024, so the team scores whichever of
# them its lineup makes; the four others are the cheapest of four more constructors.
LINEUP = ["max_verstappen", "bearman", "zhou", "colapinto", "lawson"]
# One replayed race is a real minute and the scheduler polls once a minute: two races and
# their polls take under four minutes.
MOVE_MS = 240_000
LIVE_MS = 20_000
SHOTS = Path(__file__).resolve().parent.parent.parent / ".paddock" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)",
)


@pytest.fixture
async def replay_site(db: None, redis: object) -> AsyncIterator[str]:
    """Run `paddock dev` replaying 2024 at a minute per race; return its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = child_env(
        PORT=str(port),
        REPLAY=str(SEASON),
        REPLAY_MINUTES_PER_RACE="1",
        # The test settings name an unreachable feed; this names the app's own replay feed.
        RESULTS_API_URL=f"{base}/replay/ergast/f1",
    )
    process = Process("paddock dev", [str(BIN / "paddock"), "dev"], env).start()
    try:
        await wait_ready(process, base)
        yield base
    finally:
        process.stop()


async def _no_sideways_scroll(page: Page, width: int) -> None:
    scrolled = await page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{page.url} is {scrolled}px wide at {width}px"


async def test_a_visitor_plays_the_replay_and_sees_their_row_move_live(
    replay_site: str, browser: Browser
) -> None:
    site = replay_site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { window.liveOpen = true; });"
    )
    page = await context.new_page()
    await page.goto(f"{site}/")
    await expect(page.locator("body")).to_contain_text(f"Replay of the {SEASON} season")
    await page.screenshot(path=str(SHOTS / "replay-home-1280.png"), full_page=True)

    await register(page, site, username="rosa")
    team_id = await build_team(
        page,
        site,
        name="Rosa Replay Racing",
        season=SEASON,
        refs=LINEUP,
        captain="Max Verstappen",
    )

    await page.goto(f"{site}/leagues")
    await page.get_by_role("link", name=public_league_name(SEASON)).first.click()
    await page.wait_for_url(re.compile(r"/leagues/\d+$"))
    await submit(page, "Join league", r"/leagues/\d+")
    await page.wait_for_function("window.liveOpen === true", timeout=LIVE_MS)
    await page.evaluate("window.sameDocument = 'yes'")

    # The row appears among "Your teams" at once, with the points it has so far...
    mine = page.locator(".mine-list li", has_text="Rosa Replay Racing")
    await expect(mine).to_be_visible(timeout=LIVE_MS)
    before = await mine.inner_text()
    await page.screenshot(path=str(SHOTS / "replay-league-joined-1280.png"), full_page=True)

    # ...and moves when a replayed race it entered is scored, pushed over the socket.
    await expect(mine).not_to_have_text(before, timeout=MOVE_MS)
    after = await mine.inner_text()
    points = int(re.search(r"· (\d+) pts", after).group(1))  # type: ignore[union-attr]
    assert points > 0, after
    assert await page.evaluate("window.sameDocument") == "yes"  # no reload happened
    await expect(page.locator(f"#lb-row-{team_id}").first).to_be_attached()
    await page.screenshot(path=str(SHOTS / "replay-league-scored-1280.png"), full_page=True)
    league_url = page.url

    # The same game on a phone: the banner, the table and the team, none scrolling sideways.
    phone = await browser.new_context(viewport={"width": 375, "height": 800})
    small = await phone.new_page()
    for path in ("/", "/leaderboard", league_url.removeprefix(site)):
        await small.goto(f"{site}{path}")
        await expect(small.locator("body")).to_contain_text(f"Replay of the {SEASON} season")
        await _no_sideways_scroll(small, 375)
    await small.screenshot(path=str(SHOTS / "replay-league-375.png"), full_page=True)
    await phone.close()
    await context.close()

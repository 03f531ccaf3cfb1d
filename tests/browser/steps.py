"""What a player does in the browser, step by step, for the browser tests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from playwright.async_api import Page

from webapp.models import Driver

PASSWORD = "a long enough password"
# Debian's Chromium (.ci/run installs it); Playwright downloads no browser of its own.
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def submit(page: Page, button: str, then: str) -> None:
    """Click a form's button and wait for the page it leads to (htmx boosts forms)."""
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url(re.compile(then))


async def register(page: Page, site: str, *, username: str) -> None:
    """Sign up as `username` on the register page and land on the home page."""
    await page.goto(f"{site}/register")
    await page.fill("#f-email", f"{username}@example.com")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await submit(page, "Register", r"/$")


async def build_team(
    page: Page, site: str, *, name: str, season: int, refs: Sequence[str], captain: str
) -> int:
    """Build a team of the drivers `refs` with the captain labelled `captain`; return its id."""
    await page.goto(f"{site}/teams/new")
    await page.fill("#f-name", name)
    drivers = {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=list(refs))}
    for ref in refs:
        await page.check(f"#d-{drivers[ref]}")
    await page.get_by_label(f"Captain: {captain}").check()
    await submit(page, "Create team", r"/teams/\d+")
    return int(re.search(r"/teams/(\d+)", page.url).group(1))  # type: ignore[union-attr]

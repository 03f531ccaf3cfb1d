"""Templates keep to the CSP and escape what users type."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Driver, League, Team, User
from webapp.settings import ROOT

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# What the CSP (no 'unsafe-inline', no eval) would block in a browser.
INLINE = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "on* handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"\shx-on[:\-]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "js: in hx-vals": re.compile(r"hx-vals\s*=\s*['\"]\s*js:", re.I),
}


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    found = [name for name, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)}: {found} (move it to static/)"


def test_templates_are_autoescaped(app: Quart) -> None:
    for name in ("base.html", "teams/team.html", "leagues/league.html"):
        assert app.jinja_env.autoescape(name) is True, name
    assert "|safe" not in "".join(t.read_text().replace(" ", "") for t in TEMPLATES)


SCRIPT = "<script>alert(1)</script>"


async def test_names_people_type_are_escaped_on_team_and_league_pages(
    client: TestClientProtocol,
    season: int,
    make_user: Callable[..., Awaitable[User]],
    login: Callable[..., Awaitable[None]],
) -> None:
    from webapp.leagues.service import create_league
    from webapp.teams.service import create_team

    owner = await make_user("mallory")
    await User.filter(id=owner.id).update(display_name=SCRIPT)
    cheap = ("bortoleto", "albon", "hadjar", "lawson", "doohan")
    ids = [d.id for d in await Driver.filter(season_id=season, ref__in=cheap)]
    team = await create_team(owner=owner, name="Team <b>", driver_ids=ids, captain_id=ids[0])
    # Straight to the rows: the name rules may refuse markup; pages must escape it anyway.
    await Team.filter(id=team.id).update(name=SCRIPT)
    league = await create_league(owner=owner, name="League x", is_public=True, team_id=team.id)
    await League.filter(id=league.id).update(name=SCRIPT)
    await login(client, owner)
    for path in (f"/teams/{team.id}", f"/leagues/{league.id}", "/leagues", "/teams"):
        response = await client.get(path)
        html = (await response.get_data()).decode()
        assert response.status_code == 200, path
        assert SCRIPT not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path

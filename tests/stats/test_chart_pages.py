"""Pages with charts: each SVG is there with its title, description, summary and numbers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart.typing import TestClientProtocol

from tests.scoring.factories import SINGAPORE, SINGAPORE_LOCK
from tests.stats.conftest import Season2
from webapp.pipeline import rescore_race


async def html_of(client: TestClientProtocol, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, path
    return (await response.get_data()).decode()


def has_chart(html: str, ident: str, title: str) -> None:
    labelled = f'aria-labelledby="{ident}-title {ident}-desc" id="{ident}">'
    assert f'<svg class="chart" viewBox="0 0 640 260" role="img" {labelled}' in html
    assert f'<title id="{ident}-title">{title}</title>' in html
    assert re.search(f'<desc id="{ident}-desc">[^<]+</desc>', html)
    assert f'id="{ident}-figure"' in html


async def test_team_page_draws_points_and_rank(
    client: TestClientProtocol, two_races: Season2
) -> None:
    alpha = two_races.alpha.id
    html = await html_of(client, f"/teams/{alpha}")
    has_chart(html, f"team-{alpha}-points", "Alpha: points per race")
    has_chart(html, f"team-{alpha}-rank", "Alpha: overall rank after each race")
    assert "Alpha: 96 points over 2 races, best 52 in R2." in html
    assert "Alpha ranks 2 of 3 after R2; best 1, worst 2." in html
    assert '<tr><th scope="row">R1</th><td class="num">44</td></tr>' in html


async def test_owner_sees_the_charts_on_their_team_page_too(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    await login(client, two_races.alice)
    html = await html_of(client, f"/teams/{two_races.alpha.id}")
    has_chart(html, f"team-{two_races.alpha.id}-points", "Alpha: points per race")


async def test_league_page_draws_every_member_with_mine_highlighted(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    await login(client, two_races.alice)
    league = two_races.friends.id
    html = await html_of(client, f"/leagues/{league}")
    has_chart(html, f"league-{league}", "Friends: points over the season")
    assert html.count('<g class="chart-series series-1 chart-mine">') == 1
    assert '<g class="chart-series series-0">' in html
    assert '<li class="series-1 chart-mine"><span class="chart-swatch"></span>Alpha</li>' in html
    assert "Beta leads with 135 points" in html
    assert f'href="/leagues/{league}/duel"' in html


async def test_head_to_head_of_two_members(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    league = two_races.friends.id
    # A private league's pictures are for its members.
    await html_of(client, f"/leagues/{league}/duel", status=404)
    await login(client, two_races.alice)
    html = await html_of(client, f"/leagues/{league}/duel")
    has_chart(html, f"duel-{league}", "Alpha against Beta")
    assert "Alpha 96 points, Beta 135; races won 1 to 1." in html
    wrong = await html_of(
        client, f"/leagues/{league}/duel?a={two_races.alpha.id}&b={two_races.gamma.id}", 422
    )
    assert "That team is not in this league" in wrong
    await html_of(client, f"/leagues/{league}/duel?a=x", 422)


async def test_driver_page_shows_points_form_price_and_ownership(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    await login(client, two_races.alice)
    russell = two_races.world.drivers["RUS"].id
    html = await html_of(client, f"/drivers/{russell}")
    has_chart(html, f"driver-{russell}-points", "Rus RUS: points per race")
    # Two races so far: the form (6.0 a race) is the season, not drawn twice.
    assert f'id="driver-{russell}-form"' not in html
    assert "6.0 <small" in html
    has_chart(html, f"driver-{russell}-price", "Rus RUS: price per race")
    assert "costs 20 in the Grand Prix game and has cost the same all season." in html
    # Alpha fields Russell, Beta and Gamma do not: 1 of 3, and 1 of 2 in Friends.
    assert "<strong>33.3%</strong> of teams" in html
    assert '<td class="num">50.0%</td>' in html


async def test_constructor_page_lists_its_drivers(
    client: TestClientProtocol, two_races: Season2
) -> None:
    mercedes = two_races.world.drivers["HAM"].constructor_id  # type: ignore[attr-defined]
    html = await html_of(client, f"/constructors/{mercedes}")
    has_chart(html, f"constructor-{mercedes}-points", "mercedes: points per race")
    assert f'href="/drivers/{two_races.world.drivers["HAM"].id}"' in html
    assert "No price yet." in html
    await html_of(client, f"/constructors/{mercedes + 100}", 404)
    await html_of(client, "/drivers/99999", 404)


async def test_form_is_drawn_for_the_last_three_races(
    client: TestClientProtocol, two_races: Season2
) -> None:
    world = two_races.world
    for name, lock in (("Italian", 10), ("Dutch", 20)):
        race = await world.race(f"{name} Grand Prix", lock_at=SINGAPORE_LOCK + timedelta(days=lock))
        await world.results(race, SINGAPORE)
        await rescore_race(race_id=race.id)
    russell = world.drivers["RUS"].id
    html = await html_of(client, f"/drivers/{russell}")
    has_chart(html, f"driver-{russell}-form", "Rus RUS, last races: points per race")
    # Belgium 0, then 12 three times: the last three average 12.
    assert "Rus RUS, last races: 36 points over 3 races" in html

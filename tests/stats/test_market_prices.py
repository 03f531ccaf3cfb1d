"""Pages outside the team builder show each market game's current price beside the classic one."""

from __future__ import annotations

import re
from decimal import Decimal

from quart.typing import TestClientProtocol

from tests.stats.conftest import Season2
from tests.stats.test_chart_pages import html_of
from webapp import cache
from webapp.market.prices import market_prices
from webapp.models import AssetPrice, Constructor


async def moved(two_races: Season2) -> tuple[int, int]:
    """Move Russell to 20.6 and Mercedes (priced 25.0 at the start) to 24.4 after Belgium."""
    world = two_races.world
    russell = world.drivers["RUS"].id
    mercedes = world.drivers["RUS"].constructor_id  # type: ignore[attr-defined]
    await Constructor.filter(id=mercedes).update(price=Decimal("25.0"))
    season, race = world.season.year, two_races.belgium.id
    await AssetPrice.create(
        game="grand_prix", season_id=season, race_id=race, driver_id=russell, price=Decimal("20.6")
    )
    await AssetPrice.create(
        game="grand_prix",
        season_id=season,
        race_id=race,
        constructor_id=mercedes,
        price=Decimal("24.4"),
    )
    # As the results pipeline does after pricing a race.
    await cache.bump(cache.DRIVERS)
    return russell, mercedes


async def test_market_prices_are_each_market_games_current_price(two_races: Season2) -> None:
    russell, mercedes = await moved(two_races)
    hamilton = two_races.world.drivers["HAM"].id
    [grand_prix] = await market_prices(season_id=two_races.world.season.year)
    assert (grand_prix.game, grand_prix.title) == ("grand_prix", "Grand Prix")
    # A moved asset is at its latest price, the others at their starting price.
    assert grand_prix.driver(russell) == Decimal("20.6")
    assert grand_prix.driver(hamilton) == Decimal("20.0")
    assert grand_prix.constructor(mercedes) == Decimal("24.4")
    assert grand_prix.driver(99999) is None


def fact(html: str, term: str) -> str:
    found = re.search(rf"<dt>{term}</dt><dd>([^<]+)</dd>", html)
    assert found, term
    return found.group(1)


async def test_driver_and_constructor_pages_show_both_prices(
    client: TestClientProtocol, two_races: Season2
) -> None:
    russell, mercedes = await moved(two_races)
    driver = await html_of(client, f"/drivers/{russell}")
    assert (fact(driver, "Classic price"), fact(driver, "Grand Prix price")) == ("20.0", "20.6")
    team = await html_of(client, f"/constructors/{mercedes}")
    assert (fact(team, "Classic price"), fact(team, "Grand Prix price")) == ("25.0", "24.4")
    # Its drivers are listed with theirs: Russell moved, Hamilton did not.
    assert 'RUS</a> <small class="muted">Classic 20.0 · Grand Prix 20.6</small>' in team
    assert 'HAM</a> <small class="muted">Classic 20.0 · Grand Prix 20.0</small>' in team


async def test_an_unpriced_constructor_says_so_in_every_game(
    client: TestClientProtocol, two_races: Season2
) -> None:
    ferrari = two_races.world.drivers["LEC"].constructor_id  # type: ignore[attr-defined]
    team = await html_of(client, f"/constructors/{ferrari}")
    assert (fact(team, "Classic price"), fact(team, "Grand Prix price")) == (
        "not priced",
        "not priced",
    )


async def test_home_drivers_table_has_a_column_per_game(
    client: TestClientProtocol, two_races: Season2
) -> None:
    await moved(two_races)
    html = await html_of(client, "/")
    table = re.search(r'<table class="table" id="drivers">(.*?)</table>', html, re.S)
    assert table
    head = re.findall(r"<th[^>]*>([^<]+)</th>", table.group(1))
    assert head == ["Driver", "Team", "Classic", "Grand Prix"]
    rows = {
        code: cells
        for code, cells in (
            (re.search(r'class="code">(\w+)<', row), re.findall(r'class="num">([^<]+)<', row))
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
        )
        if code
        for code in [code.group(1)]
    }
    assert rows["RUS"] == ["20.0", "20.6"]
    assert rows["HAM"] == ["20.0", "20.0"]

"""The race page per game: a switch, that game's table and live topic, my teams' breakdown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, World
from webapp.models import Constructor, LineupConstructor, User
from webapp.pipeline import rescore_race

EARLY = BELGIUM_LOCK - timedelta(days=1)
Login = Callable[..., Awaitable[None]]


@pytest.fixture
async def both_games(world: World, make_user: Callable[..., Awaitable[User]]) -> dict:
    """Olivia plays Belgium in both games (Alpha, classic; Golf, Grand Prix); Bravo is Pat's."""
    olivia, pat = await make_user("olivia"), await make_user("pat")
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    alpha = await world.team("Alpha", owner=olivia)
    bravo = await world.team("Bravo", owner=pat)
    golf = await world.team("Golf", owner=olivia, game="grand_prix")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(bravo, ["HAM", "VER", "NOR", "SAI", "PER"], captain="HAM", saved_at=EARLY)
    lineup = await world.lineup(
        golf, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="HAM", saved_at=EARLY
    )
    for ref in ("mercedes", "mclaren"):
        car = await Constructor.get(ref=ref)
        await LineupConstructor.create(lineup=lineup, constructor=car, price=Decimal("20.0"))
    await world.results(belgium, BELGIUM)
    await rescore_race(race_id=belgium.id)
    return {"olivia": olivia, "belgium": belgium, "alpha": alpha, "bravo": bravo, "golf": golf}


def section(html: str, start: str, end: str = "</section>") -> str:
    """Return the part of `html` from `start` to the next `end`."""
    assert start in html, start
    return html.split(start, 1)[1].split(end, 1)[0]


async def test_the_race_page_switches_game(
    client: TestClientProtocol, both_games: dict, login: Login
) -> None:
    race_id = both_games["belgium"].id
    alpha, bravo, golf = both_games["alpha"], both_games["bravo"], both_games["golf"]
    await login(client, both_games["olivia"])

    classic = await (await client.get(f"/races/{race_id}")).get_data(as_text=True)
    board = section(classic, 'id="race-board"')
    assert f'id="lb-row-{alpha.id}"' in board and f'id="lb-row-{bravo.id}"' in board
    assert f'id="lb-row-{golf.id}"' not in board
    assert 'aria-current="page">Classic' in classic
    assert f'href="/races/{race_id}?game=grand_prix">Grand Prix</a>' in classic
    assert f'id="lb-body-race-{race_id}"' in classic
    assert f"topics=race%3A{race_id}%2Cuser" in classic  # the live topic of this table
    assert ">Fantasy</th>" in classic
    # My classic team's race: RUS captain disqualified (0), HAM 25, PIA 18, RIC 1.
    mine = section(classic, 'id="my-race-scores"')
    assert "Your Classic teams' points" in mine
    assert ">Alpha</a>" in mine and "Golf" not in mine and "Bravo" not in mine
    assert "Race total" in mine and "44 pts" in mine

    grand_prix = await (await client.get(f"/races/{race_id}?game=grand_prix")).get_data(
        as_text=True
    )
    board = section(grand_prix, 'id="race-board"')
    assert f'id="lb-row-{golf.id}"' in board and ">128</td>" in board
    assert f'id="lb-row-{alpha.id}"' not in board and f'id="lb-row-{bravo.id}"' not in board
    assert 'aria-current="page">Grand Prix' in grand_prix
    assert f'href="/races/{race_id}">Classic</a>' in grand_prix
    assert f'id="lb-body-race-{race_id}-grand_prix"' in grand_prix
    assert f"topics=race%3A{race_id}%3Agrand_prix%2Cuser" in grand_prix
    # No single Grand Prix figure per driver: the column goes, the per-session lines come.
    assert ">Fantasy</th>" not in grand_prix and "per session" in grand_prix
    mine = section(grand_prix, 'id="my-race-scores"')
    assert ">Golf</a>" in mine and "Alpha" not in mine and "128 pts" in mine
    assert "Qualifying" in mine and "mercedes" in mine and "Weekend total" in mine

    fragment = await client.get(f"/races/{race_id}?game=grand_prix", headers={"HX-Request": "true"})
    html = await fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="race-board">')
    assert f'id="lb-row-{golf.id}"' in html and f'id="lb-row-{alpha.id}"' not in html


async def test_an_anonymous_reader_sees_each_games_table_without_breakdowns(
    client: TestClientProtocol, both_games: dict
) -> None:
    race_id = both_games["belgium"].id
    html = await (await client.get(f"/races/{race_id}?game=grand_prix")).get_data(as_text=True)
    assert f'id="lb-row-{both_games["golf"].id}"' in html
    assert 'id="my-race-scores"' not in html


async def test_an_unknown_game_is_named_not_a_crash(
    client: TestClientProtocol, both_games: dict
) -> None:
    race_id = both_games["belgium"].id
    page = await client.get(f"/races/{race_id}?game=rally")
    assert page.status_code == 422
    html = await page.get_data(as_text=True)
    assert "Unknown game &#39;rally&#39; (known: classic, grand_prix)" in html
    fragment = await client.get(f"/races/{race_id}?game=rally", headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    # A missing race is still not found, whatever the game.
    assert (await client.get("/races/9999?game=grand_prix")).status_code == 404

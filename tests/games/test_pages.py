"""The rules pages: the list of games and each game's rules, written from its data."""

from __future__ import annotations

import re

from quart.typing import TestClientProtocol

from webapp import games
from webapp.games.classic import CLASSIC
from webapp.games.model import Game


async def page(client: TestClientProtocol, url: str, **headers: str) -> tuple[int, str]:
    response = await client.get(url, headers=headers)
    return response.status_code, (await response.get_data()).decode()


def words(html: str) -> str:
    """Return a page's text in plain words, its minus and times signs as ASCII."""
    text = re.sub(r"<[^>]+>", " ", html).replace("\u2212", "-").replace("\u00d7", "x")
    return " ".join(text.replace("&#39;", "'").split())


async def test_the_grand_prix_rules_state_every_number(client: TestClientProtocol) -> None:
    status, html = await page(client, "/games/grand_prix")
    assert status == 200
    text = words(html)
    for rule in (
        "Exactly 5 distinct drivers of the season and 2 distinct constructors",
        "costing at most 100.0 in all",
        "At most 2 drivers whose current constructor is the same",
        "P1 10, P2 9, P3 8, P4 7, P5 6, P6 5, P7 4, P8 3, P9 2, P10 1; P11 and below 0",
        "No time set in Q1: -5. Disqualified from qualifying: -5",
        "P1 8, P2 7, P3 6, P4 5, P5 4, P6 3, P7 2, P8 1; P9 and below 0",
        "P1 25, P2 18, P3 15, P4 12, P5 10, P6 8, P7 6, P8 4, P9 2, P10 1",
        "±1 per position gained or lost from the grid",
        "a pit-lane start (grid 0) counts as starting last of the starters",
        "Fastest lap: +5",
        "Fastest lap: +10",
        "Driver of the Day: +10",
        "Not classified (retired, not classified): -10",
        "Not classified (retired, not classified): -20",
        "Disqualified: -25 and no other points",
        "without Driver of the Day and without the captain multiplier",
        "both cars reach Q3 +10, one +5; both reach Q2 (and not Q3) +3, one +1;"
        " neither leaves Q1 -1",
        "the captain's points x 2",
        "Overtakes and pit-stop times are not scored",
    ):
        assert rule in text, rule
    assert 'href="/teams/new?game=grand_prix"' in html


async def test_the_classic_rules_and_the_list(client: TestClientProtocol) -> None:
    status, html = await page(client, "/games/classic")
    text = words(html)
    assert status == 200
    assert "Exactly 5 distinct drivers of the season, costing at most 100.0" in text
    assert "Fastest lap: +5" in text and "constructors" not in text.split("Roster")[1][:60]
    assert "Not scored" not in text
    status, listing = await page(client, "/games")
    assert status == 200
    assert 'href="/games/classic"' in listing and 'href="/games/grand_prix"' in listing
    assert 'href="/games"' in listing  # the nav and footer link here


async def test_the_same_url_serves_a_fragment_to_htmx(client: TestClientProtocol) -> None:
    status, html = await page(client, "/games/grand_prix", **{"HX-Request": "true"})
    assert status == 200 and "<html" not in html and 'id="rules"' in html


async def test_an_unknown_game_has_no_rules_page(client: TestClientProtocol) -> None:
    status, html = await page(client, "/games/rally")
    assert status == 422 and "Unknown game" in html


async def test_a_new_game_gets_its_rules_page_from_its_data(client: TestClientProtocol) -> None:
    toy = Game(
        name="toy",
        title="Toy",
        summary="Three drivers only.",
        roster=CLASSIC.roster,
        scoring=CLASSIC.scoring,
    )
    with games.registered(toy):
        status, html = await page(client, "/games/toy")
        _, listing = await page(client, "/games")
    assert status == 200 and "Three drivers only." in html
    assert 'href="/games/toy"' in listing

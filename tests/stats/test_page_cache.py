"""Statistics pages kept ready: the edge's answers, shared parts per generation, readers apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from tests.leaderboards.test_ready import TOKEN, both, page_parts, served, session_of
from tests.scoring.factories import SINGAPORE_LOCK
from tests.stats.conftest import ROAD, Season2
from webapp import cache, events
from webapp.models import League, Race, RaceStatus, TeamRaceScore, User
from webapp.pagecache import READY_EPOCH, READY_PAGES, remember_anonymous_page
from webapp.pipeline import rescore_race
from webapp.ready import ReadyReads

Login = Callable[..., Awaitable[None]]


@pytest.fixture
async def open_league(two_races: Season2) -> League:
    """A public league of Alpha and Gamma (Friends is private)."""
    return await two_races.world.league(
        "Open", owner=two_races.alice, teams=[two_races.alpha, two_races.gamma], public=True
    )


def urls(season: Season2, league: League) -> dict[str, str]:
    """Return each kept page's URL, by the rule the edge names it with."""
    driver = season.world.drivers["RUS"]
    return {
        "/teams/<int:team_id>": f"/teams/{season.alpha.id}",
        "/drivers/<int:driver_id>": f"/drivers/{driver.id}",
        "/constructors/<int:constructor_id>": f"/constructors/{driver.constructor_id}",
        "/leagues/<int:league_id>": f"/leagues/{league.id}",
        "/races/<int:race_id>/versions": f"/races/{season.belgium.id}/versions",
        "/players/<username>": f"/players/{season.alice.username}",
    }


async def text(client: TestClientProtocol, url: str, **headers: str) -> str:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, url
    return (await response.get_data()).decode()


@pytest.mark.parametrize(
    "headers", [{}, {"Accept-Encoding": "br"}, {"HX-Request": "true", "HX-Boosted": "true"}]
)
async def test_each_anonymous_page_is_answered_at_the_edge_as_the_route_answers_it(
    app: Quart, two_races: Season2, open_league: League, headers: dict[str, str]
) -> None:
    for rule, url in urls(two_races, open_league).items():
        await app.test_client().get(url, headers=headers)  # the route renders, the edge keeps it
        before = served(rule)
        fast, slow = await both(app, url, headers)
        assert served(rule) == before + 1, url  # the edge answered the first, not the second
        assert page_parts(fast)[:3] == page_parts(slow)[:3], url
        assert fast[1].keys() == slow[1].keys() and fast[1]["etag"], url
        token = page_parts(fast)[3]
        # A token of the reader's own, the one their new session cookie carries.
        assert token is not None and token != page_parts(slow)[3]
        assert session_of(app, fast[1]) == {"csrf": token.decode()}


async def test_a_league_fragment_is_kept_apart_from_the_whole_page(
    app: Quart, two_races: Season2, open_league: League
) -> None:
    url = f"/leagues/{open_league.id}"
    whole = await text(app.test_client(), url)
    piece = await text(app.test_client(), url, **{"HX-Request": "true"})
    before = served("/leagues/<int:league_id>")
    again = await text(app.test_client(), url, **{"HX-Request": "true"})
    assert served("/leagues/<int:league_id>") == before + 1
    assert again == piece and "<html" in whole and "<html" not in piece
    # Past their second, each is renewed in the background as what it is.
    ready: ReadyReads = app.extensions["ready_reads"]
    for fragment in (False, True):
        key = (url, b"", fragment)
        READY_PAGES.put(key, READY_PAGES.get(key) + b"<!-- old -->", seconds=-1)
    await text(app.test_client(), url)
    await text(app.test_client(), url, **{"HX-Request": "true"})
    assert len(ready.renewals) == 2
    await asyncio.gather(*ready.renewals)
    renewed = READY_PAGES.get((url, b"", False)), READY_PAGES.get((url, b"", True))
    assert renewed[0] is not None and b"<html" in renewed[0] and b"<!-- old -->" not in renewed[0]
    assert (
        renewed[1] is not None and b"<html" not in renewed[1] and b"<!-- old -->" not in renewed[1]
    )


async def test_a_correction_shows_on_the_team_page_at_once(
    app: Quart, two_races: Season2, make_user: Callable[..., Awaitable[User]], login: Login
) -> None:
    url = f"/teams/{two_races.alpha.id}"
    first_race = '<tr><th scope="row">R1</th><td class="num">44</td></tr>'
    visitor = app.test_client()
    await login(visitor, await make_user("vera"))
    assert first_race in await text(app.test_client(), url)
    before = served("/teams/<int:team_id>")
    assert first_race in await text(app.test_client(), url)  # kept: the edge answered
    assert first_race in await text(visitor, url)
    assert served("/teams/<int:team_id>") == before + 1
    versions = f"/races/{two_races.belgium.id}/versions"
    for client in (app.test_client(), visitor):
        assert 'id="diff"' not in await text(client, versions)  # one version: nothing to compare
    # The stewards' call reversed: Russell (Alpha's captain) keeps his win.
    await two_races.world.results(two_races.belgium, ROAD)
    await rescore_race(race_id=two_races.belgium.id)
    for client in (app.test_client(), visitor):
        html = await text(client, versions)
        assert "Version 1 → version 2" in html and "<span>version 2" in html
    owner = app.test_client()
    await login(owner, two_races.alice)
    for client in (app.test_client(), visitor, owner):
        html = await text(client, url)
        assert first_race not in html
        assert '<tr><th scope="row">R1</th><td class="num">' in html
        assert "Alpha: 96 points over 2 races" not in html
    assert served("/teams/<int:team_id>") == before + 1  # every one of them from the route


async def test_a_team_record_is_kept_until_its_generation_moves(
    app: Quart, two_races: Season2, make_user: Callable[..., Awaitable[User]], login: Login
) -> None:
    url = f"/teams/{two_races.alpha.id}"
    reader = app.test_client()
    await login(reader, await make_user("vera"))
    assert '<strong class="points">44 pts</strong>' in await text(reader, url)
    # Written behind the app's back: the kept record still shows what its stamp says.
    await TeamRaceScore.filter(team_id=two_races.alpha.id, race_id=two_races.belgium.id).update(
        points=7
    )
    assert '<strong class="points">44 pts</strong>' in await text(reader, url)
    await cache.bump(cache.board_generation(2024))
    html = await text(reader, url)
    assert '<strong class="points">7 pts</strong>' in html
    assert '<tr><th scope="row">R1</th><td class="num">7</td></tr>' in html


async def test_a_race_locking_shows_its_lineup_on_the_team_page(
    app: Quart, two_races: Season2, make_user: Callable[..., Awaitable[User]], login: Login
) -> None:
    qatar_lock = SINGAPORE_LOCK + timedelta(days=60)
    qatar = await two_races.world.race("Qatar Grand Prix", lock_at=qatar_lock)
    await Race.filter(id=qatar.id).update(status=RaceStatus.SCHEDULED)
    saved = SINGAPORE_LOCK + timedelta(days=3)
    world = two_races.world
    await world.lineup(
        two_races.beta, ["ALO", "VER", "LEC", "PIA", "SAI"], captain="ALO", saved_at=saved
    )
    url = f"/teams/{two_races.beta.id}"
    reader = app.test_client()
    await login(reader, await make_user("vera"))
    app.config["CLOCK"] = lambda: qatar_lock - timedelta(hours=1)
    try:
        html = await text(reader, url)
        assert "Round 2" in html and "Round 3" not in html and "ALO (C)" not in html
        app.config["CLOCK"] = lambda: qatar_lock + timedelta(minutes=1)
        html = await text(reader, url)
        assert "<strong>Round 3</strong>" in html and "ALO (C)" in html
    finally:
        app.config.pop("CLOCK")


async def test_two_readers_never_see_each_others_token_or_teams(
    app: Quart, two_races: Season2, open_league: League, login: Login,
    make_user: Callable[..., Awaitable[User]],
) -> None:  # fmt: skip
    pages = list(urls(two_races, open_league).values())
    alice = app.test_client()
    await login(alice, two_races.alice)
    vera = app.test_client()
    await login(vera, await make_user("vera"))
    ann, bob = app.test_client(), app.test_client()
    for url in pages:
        seen = {}
        for name, client in (("alice", alice), ("ann", ann), ("vera", vera), ("bob", bob)):
            html = await text(client, url)
            found = TOKEN.search(html.encode())
            assert found is not None, url
            seen[name] = found.group(1)
            signed_in = name in ("alice", "vera")
            # The nav names the reader signed in, and nobody else.
            assert (f'class="nav-user">{name}</a>' in html) == signed_in, (url, name)
            assert ('class="nav-user">' in html) == signed_in, (url, name)
        assert len(set(seen.values())) == 4, url  # a token each
        # What the edge keeps was rendered for nobody: no token, no name in the nav.
        for (path, _, _), page in list(READY_PAGES._values.items()):
            kept = page[1]
            assert TOKEN.search(kept).group(1) == b"<csrf-token>", path  # type: ignore[union-attr]
            assert b"Log out" not in kept and b'class="nav-user"' not in kept, path


async def test_signed_in_readers_get_their_own_part_of_kept_pages(
    app: Quart, two_races: Season2, open_league: League, login: Login,
    make_user: Callable[..., Awaitable[User]],
) -> None:  # fmt: skip
    league = f"/leagues/{open_league.id}"
    mine = '<g class="chart-series series-0 chart-mine">'
    anonymous = await text(app.test_client(), league)  # fills the shared chart
    assert "chart-mine" not in anonymous
    alice = app.test_client()
    await login(alice, two_races.alice)
    html = await text(alice, league)
    assert mine in html  # Alpha leads the league: the first line, hers
    assert "Teams in your league" in html
    vera = app.test_client()
    await login(vera, await make_user("vera"))
    html = await text(vera, league)
    assert "chart-mine" not in html and "Teams in your league" not in html
    # Her league shows in the driver's ownership; nobody else's page has it.
    driver = f"/drivers/{two_races.world.drivers['RUS'].id}"
    html = await text(alice, driver)
    assert ">Open</a></th>" in html and ">Friends</a></th>" in html
    for client in (vera, app.test_client()):
        html = await text(client, driver)
        assert ">Friends</a></th>" not in html and "My league</th>" not in html
    # What changed for her teams: hers only, signed in.
    await two_races.world.results(two_races.belgium, ROAD)
    await rescore_race(race_id=two_races.belgium.id)
    versions = f"/races/{two_races.belgium.id}/versions"
    anonymous = await text(app.test_client(), versions)
    assert "Log in</a> to see what this change did to your teams" in anonymous
    html = await text(alice, versions)
    assert 'id="my-change"' in html and f'<a href="/teams/{two_races.alpha.id}">Alpha</a>' in html
    html = await text(vera, versions)
    assert "None of your teams scored in this race." in html and "Alpha</a>" not in html


async def test_a_page_rendered_across_a_bump_is_kept_only_as_the_last_copy(app: Quart) -> None:
    key = ("/drivers/1", b"", False)
    for behind, fresh in ((0, True), (1, False)):
        READY_PAGES.clear()
        epoch = READY_PAGES.drops - behind  # as the request began: `behind` bumps ago
        async with app.test_request_context("/drivers/1", scope_base={READY_EPOCH: epoch}):
            remember_anonymous_page("<p>the page</p>", fragment=False)
        # Begun before a bump, it may show what the bump replaced: readers get it only
        # while a renewal runs, never as the page of the second.
        assert (READY_PAGES.get(key) is not None) == fresh
        assert READY_PAGES.get_stale(key) == b"<p>the page</p>"


async def test_a_rescoring_in_a_worker_drops_every_processs_kept_pages(
    app: Quart, two_races: Season2, redis: Redis
) -> None:
    listener = redis.pubsub(ignore_subscribe_messages=True)
    await listener.subscribe(events.control_channel())
    try:
        await two_races.world.results(two_races.belgium, ROAD)
        await rescore_race(race_id=two_races.belgium.id)
        heard = None
        for _ in range(50):  # the pipeline published it before returning: it is on its way
            heard = await listener.get_message(timeout=0.1)
            if heard is not None:
                break
    finally:
        await listener.aclose()
    assert heard is not None and json.loads(heard["data"]) == events.dropped_event("board")
    # This process kept a page; the same announcement from another process drops it here.
    url = f"/teams/{two_races.alpha.id}"
    await text(app.test_client(), url)
    key = (url, b"", False)
    assert READY_PAGES.get(key) is not None
    await events.publish(events.control_channel(), events.dropped_event("board"))
    for _ in range(500):  # until this process's hub has read it
        if READY_PAGES.get_stale(key) is None:
            break
        await asyncio.sleep(0.01)
    assert READY_PAGES.get_stale(key) is None

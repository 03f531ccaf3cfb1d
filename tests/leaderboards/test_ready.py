"""Hot reads answered at the edge from ready bytes: the very answers Quart's routes give."""

from __future__ import annotations

import asyncio
import re
from hashlib import blake2b
from typing import Any

import brotli
import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from webapp.leaderboards.refresh import add_team_to_boards
from webapp.pagecache import CSRF_SLOT, READY_PAGES
from webapp.pipeline import rescore_race
from webapp.ready import READY_READS, ReadyReads
from webapp.teams.service import update_team

URL = "/api/v1/leaderboard?season=2024&limit=50"
Answer = tuple[int, dict[str, str], bytes]


def ready(app: Quart) -> ReadyReads:
    layer: ReadyReads = app.extensions["ready_reads"]
    return layer


def served(route: str) -> float:
    return READY_READS.labels(route)._value.get()  # type: ignore[attr-defined]


async def answer(client: TestClientProtocol, url: str, headers: dict[str, str]) -> Answer:
    response = await client.get(url, headers=headers)
    # Each exchange has an id of its own; everything else must be the same.
    kept = {k.lower(): v for k, v in response.headers.items() if k.lower() != "x-request-id"}
    return response.status_code, kept, await response.get_data()


async def both(app: Quart, url: str, headers: dict[str, str]) -> tuple[Answer, Answer]:
    """Return the edge's answer and the Quart route's, to the same request of a new client."""
    ready(app).enabled = True
    fast = await answer(app.test_client(), url, headers)
    ready(app).enabled = False
    try:
        slow = await answer(app.test_client(), url, headers)
    finally:
        ready(app).enabled = True
    return fast, slow


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Accept-Encoding": "gzip"},
        {"Accept-Encoding": "br;q=1, gzip;q=0.5"},
        {"Accept-Encoding": "identity"},
        {"X-Request-ID": "mine-123"},
    ],
)
async def test_a_ready_board_is_answered_as_the_route_answers_it(
    app: Quart, scored: dict[str, Any], headers: dict[str, str]
) -> None:
    league = f"/api/v1/leagues/{scored['league'].id}/leaderboard?limit=20&offset=0"
    for url, route in [
        (URL, "/api/v1/leaderboard"),
        (league, "/api/v1/leagues/<int:league_id>/leaderboard"),
    ]:
        await app.test_client().get(url)  # the route fills the ready body
        before = served(route)
        fast, slow = await both(app, url, headers)
        assert served(route) == before + 1  # the edge answered the first, not the second
        assert fast == slow
        assert fast[0] == 200 and fast[1]["etag"]


async def test_a_held_body_is_304_at_the_edge_as_at_the_route(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    etag = (await client.get(URL)).headers["ETag"]
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        before = served("/api/v1/leaderboard")
        fast, slow = await both(app, URL, {"If-None-Match": held})
        assert served("/api/v1/leaderboard") == before + 1
        assert fast == slow and fast[0] == 304 and fast[2] == b""
    fast, slow = await both(app, URL, {"If-None-Match": '"other"'})
    assert fast == slow and fast[0] == 200


async def test_a_new_board_generation_changes_the_edges_body_and_tag(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    first = await client.get(URL)
    etag = first.headers["ETag"]
    assert (await client.get(URL, headers={"If-None-Match": etag})).status_code == 304
    await rescore_race(race_id=scored["singapore"].id)
    again = await client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert await again.get_json() != await first.get_json()
    before = served("/api/v1/leaderboard")
    third = await client.get(URL, headers={"If-None-Match": etag})
    assert served("/api/v1/leaderboard") == before + 1  # the new body is ready in its turn
    assert await third.get_data() == await again.get_data()


async def test_health_is_answered_as_the_route_answers_it(app: Quart) -> None:
    before = served("/health")
    fast, slow = await both(app, "/health", {})
    assert served("/health") == before + 1
    assert fast == slow and fast[0] == 200


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (URL + "&limit=5", {}),  # a repeated argument
        ("/api/v1/leaderboard?limit=0", {}),  # refused by the route's validation
        ("/api/v1/leaderboard?season=%00", {}),
        ("/api/v1/leaderboard?season=1999", {}),  # no such season: the route's 404
        ("/api/v1/leaderboard?unknown=1", {}),
        (URL, {"Origin": "https://elsewhere.example"}),
        (URL, {"Authorization": "Bearer nonsense"}),
        ("/health?x=1", {}),
    ],
)
async def test_what_the_edge_is_not_sure_of_goes_to_the_route(
    app: Quart, scored: dict[str, Any], url: str, headers: dict[str, str]
) -> None:
    client = app.test_client()
    await client.get(URL)
    counts = (served("/api/v1/leaderboard"), served("/health"))
    fast, slow = await both(app, url, headers)
    assert (served("/api/v1/leaderboard"), served("/health")) == counts
    assert fast[0] == slow[0]


async def test_a_signed_in_reader_goes_to_the_route_and_gets_their_rows(
    app: Quart, scored: dict[str, Any], auth_headers: Any, login: Any, make_user: Any
) -> None:
    me = await make_user("petra")
    petras = await scored["world"].team("Petra's", owner=me)
    await add_team_to_boards(team_id=petras.id)
    client = app.test_client()
    anonymous = await client.get(URL)
    before = served("/api/v1/leaderboard")
    bearer = await client.get(URL, headers=auth_headers(scored["olivia"]))
    assert [row["team"]["name"] for row in (await bearer.get_json())["mine"]] == ["Alpha"]
    await login(client, me)
    cookie = await client.get(URL)  # the session cookie signs the API read in too
    assert [row["team"]["name"] for row in (await cookie.get_json())["mine"]] == ["Petra's"]
    assert served("/api/v1/leaderboard") == before
    # Their own rows are spliced after the shared items, which stay the same bytes.
    shared = (await anonymous.get_data()).rpartition(b',"mine":')[0]
    assert (await bearer.get_data()).startswith(shared)


async def test_each_read_counts_once_against_the_api_limit(
    app: Quart, scored: dict[str, Any], redis: Redis
) -> None:
    client = app.test_client()
    peer = {"client": ("192.0.2.77", 40000)}
    await client.get(URL, scope_base=peer)  # not ready: counted by the edge, filled by the route
    assert await redis.get("rl:api:ip:192.0.2.77") == "1"
    await client.get(URL, scope_base=peer)  # ready: answered at the edge
    assert await redis.get("rl:api:ip:192.0.2.77") == "2"


async def test_the_api_limit_holds_at_the_edge(
    migrated: Any, db: None, redis: Redis, scored: dict[str, Any]
) -> None:
    from webapp.app import create_app

    app = create_app(migrated.model_copy(update={"rate_limit_api": "3/minute"}))
    async with app.test_app():
        client = app.test_client()
        peer = {"client": ("192.0.2.78", 40000)}
        statuses = [(await client.get(URL, scope_base=peer)).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        limited = await client.get(URL, scope_base=peer)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert (await limited.get_json())["error"]["code"] == "rate_limited"


PAGE = "/leaderboard"
TOKEN = re.compile(rb'"X-CSRF-Token": "([^"]+)"')


def page_parts(page: Answer) -> tuple[int, dict[str, str], bytes, bytes | None]:
    """Return a page answer with its reader's own token taken out, and that token."""
    status, headers, body = page
    varies = {"etag", "set-cookie"}
    if headers.get("content-encoding") == "br":
        # Each reader's token makes other compressed bytes: compare what they decompress to.
        body, varies = brotli.decompress(body), varies | {"content-length"}
    found = TOKEN.search(body)
    token = found.group(1) if found else None
    general = {k: v for k, v in headers.items() if k not in varies}
    return status, general, body.replace(token, b"TOKEN") if token else body, token


def session_of(app: Quart, headers: dict[str, str]) -> dict[str, Any]:
    cookie = headers["set-cookie"]
    assert cookie.endswith("; HttpOnly; Path=/; SameSite=Lax")
    value = cookie.split(";")[0].partition("=")[2]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data: dict[str, Any] = serializer.loads(value)
    return data


@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept-Encoding": "br"}, {"HX-Request": "true"}, {"HX-Request": "1", "HX-Boosted": "1"}],
)
async def test_an_anonymous_page_is_answered_as_the_route_answers_it(
    app: Quart, scored: dict[str, Any], headers: dict[str, str]
) -> None:
    for url in (PAGE, PAGE + "?page=1"):
        # A fresh client each time: a first visit, with no cookie yet.
        await app.test_client().get(url, headers=headers)  # the route renders, the edge keeps it
        before = served(PAGE)
        fast, slow = await both(app, url, headers)
        assert served(PAGE) == before + 1
        assert page_parts(fast)[:3] == page_parts(slow)[:3]
        assert fast[1].keys() == slow[1].keys()
        token = page_parts(fast)[3]
        if "HX-Request" in headers and "HX-Boosted" not in headers:
            assert token is None and "set-cookie" not in fast[1]  # a fragment needs no token
        else:
            # A token of the reader's own, the one their new session cookie carries.
            assert token is not None and token != page_parts(slow)[3]
            assert session_of(app, fast[1]) == {"csrf": token.decode()}
        if "Accept-Encoding" not in headers:
            assert fast[1]["etag"] == '"' + blake2b(fast[2], digest_size=12).hexdigest() + '"'


async def test_a_returning_reader_keeps_their_token_and_gets_304(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    first = await client.get(PAGE)  # the route: a new session with a token
    token = page_parts(await answer_of(first))[3]
    before = served(PAGE)
    again = await client.get(PAGE)  # the edge, with the session cookie the client kept
    assert served(PAGE) == before + 1
    assert page_parts(await answer_of(again))[3] == token and "Set-Cookie" not in again.headers
    held = await client.get(PAGE, headers={"If-None-Match": again.headers["ETag"]})
    assert held.status_code == 304 and served(PAGE) == before + 2
    # The route holds this browser's page under the very same tag.
    ready(app).enabled = False
    slow = await client.get(PAGE, headers={"If-None-Match": again.headers["ETag"]})
    assert slow.status_code == 304 and slow.headers["ETag"] == held.headers["ETag"]


async def answer_of(response: Any) -> Answer:
    kept = {k.lower(): v for k, v in response.headers.items() if k.lower() != "x-request-id"}
    return response.status_code, kept, await response.get_data()


async def test_a_signed_in_page_goes_to_the_route(
    app: Quart, scored: dict[str, Any], login: Any, make_user: Any
) -> None:
    me = await make_user("petra")
    petras = await scored["world"].team("Petra's", owner=me)
    await add_team_to_boards(team_id=petras.id)
    await app.test_client().get(PAGE)
    client = app.test_client()
    await login(client, me)
    before = served(PAGE)
    page = await client.get(PAGE)
    html = (await page.get_data()).decode()
    assert served(PAGE) == before
    assert "Your teams" in html and f'<tr id="lb-row-{petras.id}" class="mine">' in html
    assert ">petra</a>" in html  # the nav names her


async def test_a_new_board_generation_shows_on_the_next_page_at_once(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    await client.get(PAGE)
    before = served(PAGE)
    kept = await client.get(PAGE)
    assert served(PAGE) == before + 1 and "Alpha" in (await kept.get_data()).decode()
    await update_team(user=scored["olivia"], team_id=scored["alpha"].id, name="Alpha Prime")
    renamed = await client.get(PAGE, headers={"If-None-Match": kept.headers["ETag"]})
    assert served(PAGE) == before + 1  # the bump dropped the kept page: the route rendered
    assert renamed.status_code == 200 and renamed.headers["ETag"] != kept.headers["ETag"]
    assert "Alpha Prime" in (await renamed.get_data()).decode()


async def test_an_expired_page_is_renewed_in_the_background_while_readers_get_the_last(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    await client.get(PAGE)
    key = (PAGE, b"", False)
    kept = READY_PAGES.get(key)
    READY_PAGES.put(key, kept + b"<!-- the last copy -->", seconds=-1)  # its second is over
    before = served(PAGE)
    first = await app.test_client().get(PAGE)
    second = await app.test_client().get(PAGE)
    assert served(PAGE) == before + 2  # both got the last copy, neither waited on the route
    for page in (first, second):
        assert (await page.get_data()).endswith(b"<!-- the last copy -->")
    assert key in ready(app).refreshing and len(ready(app).renewals) == 1  # one renewal
    await asyncio.gather(*ready(app).renewals)
    assert key not in ready(app).refreshing
    renewed = READY_PAGES.get(key)
    assert renewed is not None and b"the last copy" not in renewed and CSRF_SLOT in renewed
    page = await app.test_client().get(PAGE)
    assert served(PAGE) == before + 3 and b"the last copy" not in await page.get_data()
    # A change made here drops even the expired copy: nobody is shown the old board.
    READY_PAGES.put(key, kept, seconds=-1)
    ready(app).refreshing[key] = asyncio.Event()  # a renewal that never ends:
    ready(app).renewal_wait = 0  # nobody waits for it here
    await update_team(user=scored["olivia"], team_id=scored["alpha"].id, name="Alpha Prime")
    page = await app.test_client().get(PAGE)
    assert served(PAGE) == before + 3 and "Alpha Prime" in (await page.get_data()).decode()


async def test_readers_of_a_page_a_bump_dropped_wait_for_its_one_renewal(
    app: Quart, scored: dict[str, Any]
) -> None:
    client = app.test_client()
    await client.get(PAGE)
    key = (PAGE, b"", False)
    renewal = ready(app).refreshing[key] = asyncio.Event()  # a reader renews it
    ready(app).renewal_wait = 600  # however slow the machine, the wait ends with the renewal
    await update_team(user=scored["olivia"], team_id=scored["alpha"].id, name="Alpha Prime")
    assert READY_PAGES.get_stale(key) is None  # the bump dropped the last copy
    before = served(PAGE)
    waiting = asyncio.create_task(app.test_client().get(PAGE))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # not sent to the route: waiting for the renewal
    renewed = (await client.get(PAGE + "?page=1")).status_code  # another URL meanwhile
    assert renewed == 200
    READY_PAGES.put(key, b"<p>renewed <csrf-token></p>")  # what the renewal kept
    ready(app).refreshing.pop(key)
    renewal.set()
    page = await waiting
    assert served(PAGE) == before + 1  # the edge answered it, with the renewed page
    assert (await page.get_data()).startswith(b"<p>renewed ")

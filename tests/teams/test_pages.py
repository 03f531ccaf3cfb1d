"""The team builder and team pages, as a browser (with or without htmx) sees them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Race, Team, User

Headers = Callable[[User], dict[str, str]]
MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]


@pytest.fixture
async def alice(make_user: MakeUser, season: int) -> User:
    return await make_user("alice")


async def text(response: object) -> str:
    return (await response.get_data()).decode()  # type: ignore[attr-defined]


def lineup_form(
    name: str, ids: list[int], captain: int | None, token: str
) -> list[tuple[str, str]]:
    pairs = [("csrf_token", token), ("name", name)] + [("driver_ids", str(i)) for i in ids]
    return pairs + ([("captain_id", str(captain))] if captain else [])


async def post_form(
    client: TestClientProtocol, url: str, pairs: list[tuple[str, str]], *, htmx: bool = False
) -> object:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post(url, data=urlencode(pairs), headers=headers)


async def test_the_builder_needs_a_login(client: TestClientProtocol, season: int) -> None:
    response = await client.get("/teams/new")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


async def test_the_builder_lists_drivers_by_constructor_with_prices(
    client: TestClientProtocol, alice: User, login: Login, refs: dict[str, int]
) -> None:
    await login(client, alice)
    html = await text(await client.get("/teams/new"))
    assert re.search(r"<legend>McLaren</legend>.*Lando Norris.*28\.8", html, re.S)
    assert html.count('name="driver_ids"') == 21 and html.count('name="captain_id"') == 21
    assert f'value="{refs["norris"]}"' in html
    assert 'hx-post="/teams/new"' in html and 'id="lineup-status"' in html
    assert 'name="csrf_token"' in html
    assert 'id="next-deadline"' in html


async def test_the_status_fragment_shows_the_running_budget(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
) -> None:
    await login(client, alice)
    token = await csrf_token_for(client)
    pairs = [*lineup_form("", cheap[:2], None, token), ("check", "1")]
    response = await post_form(client, "/teams/new", pairs, htmx=True)
    html = await text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<p class="totals">') and "<html" not in html
    assert "lineup-status" not in html  # the content only: the box itself stays on the page
    assert "<strong>2</strong>/5 drivers" in html
    assert "<strong>13.2</strong> of 100.0" in html and "86.8 left" in html
    assert 'data-code="wrong_driver_count"' in html
    pairs = [*lineup_form("", cheap, cheap[0], token), ("check", "1")]
    html = await text(await post_form(client, "/teams/new", pairs, htmx=True))
    assert "Lineup is valid." in html and 'class="error"' not in html


RULES = [
    (["bortoleto", "albon", "hadjar", "lawson"], "albon"),
    (["max_verstappen", "norris", "leclerc", "russell", "albon"], "albon"),
    (["gasly", "doohan", "colapinto", "albon", "lawson"], "albon"),
    (["bortoleto", "albon", "hadjar", "lawson", "doohan"], "ocon"),
    (["bortoleto", "albon", "albon", "lawson", "doohan"], "albon"),
    (["max_verstappen", "norris", "leclerc", "piastri", "russell", "sainz"], "ocon"),
]


@pytest.mark.parametrize(("picked", "captain"), RULES)
async def test_the_builder_shows_the_apis_error(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    auth_headers: Headers,
    refs: dict[str, int],
    picked: list[str],
    captain: str,
) -> None:
    ids = [refs[r] for r in picked]
    api = await client.post(
        "/api/v1/teams",
        json={"name": "Same", "driver_ids": ids, "captain_id": refs[captain]},
        headers=auth_headers(alice),
    )
    expected = (await api.get_json())["error"]
    await login(client, alice)
    token = await csrf_token_for(client)
    pairs = [*lineup_form("Same", ids, refs[captain], token), ("check", "1")]
    fragment = await text(await post_form(client, "/teams/new", pairs, htmx=True))
    first = re.search(r'<li class="error" data-code="([a-z_]+)">([^<]+)</li>', fragment)
    assert first is not None
    assert (first.group(1), first.group(2)) == (expected["code"], expected["message"])
    # Submitting the same form without htmx: the page again, 422, nothing saved.
    response = await post_form(client, "/teams/new", lineup_form("Same", ids, refs[captain], token))
    assert response.status_code == 422
    assert expected["message"] in await text(response)
    assert await Team.all().count() == 0


async def test_build_then_edit_a_team_in_the_browser(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    refs: dict[str, int],
) -> None:
    await login(client, alice)
    token = await csrf_token_for(client)
    response = await post_form(
        client, "/teams/new", lineup_form("Pit Wall", cheap, cheap[0], token)
    )
    assert response.status_code == 303
    team = await Team.get(name="Pit Wall")
    assert response.headers["Location"] == f"/teams/{team.id}"
    html = await text(await client.get(f"/teams/{team.id}"))
    assert 'value="Pit Wall"' in html
    assert html.count(" checked") == 6  # five drivers and the captain
    new_ids = [*cheap[:4], refs["ocon"]]
    response = await post_form(
        client, f"/teams/{team.id}", lineup_form("Pit Wall II", new_ids, refs["ocon"], token)
    )
    assert response.status_code == 303
    html = await text(await client.get(response.headers["Location"]))
    assert "Saved." in html and "Pit Wall II" in html
    response = await post_form(
        client, f"/teams/{team.id}", lineup_form("Pit Wall II", new_ids, refs["norris"], token)
    )
    assert response.status_code == 422
    assert "must be one of the picked drivers" in await text(response)
    # The name field shows its own error beside it.
    response = await post_form(client, f"/teams/{team.id}", lineup_form("X", new_ids, None, token))
    assert 'id="e-name"' in await text(response)


async def test_forms_need_the_csrf_token(
    client: TestClientProtocol, alice: User, login: Login, cheap: list[int]
) -> None:
    await login(client, alice)
    response = await post_form(client, "/teams/new", lineup_form("Forged", cheap, cheap[0], "x"))
    assert response.status_code == 403
    assert await Team.all().count() == 0


async def test_others_see_name_owner_points_and_locked_lineups_only(
    app: Quart,
    client: TestClientProtocol,
    alice: User,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    season: int,
) -> None:
    first = await Race.get(season_id=season, round=1)
    app.config["CLOCK"] = lambda: first.lock_at - timedelta(days=1)
    await login(client, alice)
    token = await csrf_token_for(client)
    await post_form(client, "/teams/new", lineup_form("Open Book", cheap, cheap[0], token))
    team = await Team.get(name="Open Book")

    bob_client = app.test_client()
    await login(bob_client, await make_user("bob"))
    html = await text(await bob_client.get(f"/teams/{team.id}"))
    assert "Open Book" in html and "alice" in html and "points" in html
    assert 'name="driver_ids"' not in html and "BOR" not in html
    assert "No race has locked for this team yet" in html
    response = await post_form(bob_client, f"/teams/{team.id}", [("name", "Mine now")])
    assert response.status_code == 403

    app.config["CLOCK"] = lambda: first.lock_at + timedelta(minutes=1)
    html = await text(await bob_client.get(f"/teams/{team.id}"))
    assert "Australian Grand Prix" in html and "BOR (C)" in html and "ALB" in html
    anonymous = await text(await app.test_client().get(f"/teams/{team.id}"))
    assert "BOR (C)" in anonymous


async def test_my_teams_page(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
) -> None:
    await login(client, alice)
    html = await text(await client.get("/teams"))
    assert "no team this season" in html and 'href="/teams/new"' in html
    token = await csrf_token_for(client)
    for n in range(3):
        await post_form(client, "/teams/new", lineup_form(f"Squad {n}", cheap, cheap[0], token))
    html = await text(await client.get("/teams"))
    assert all(f"Squad {n}" in html for n in range(3))
    assert "the most a season allows" in html


async def test_the_team_page_shows_points_by_race(
    client: TestClientProtocol,
    alice: User,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
) -> None:
    await login(client, alice)
    token = await csrf_token_for(client)
    await post_form(client, "/teams/new", lineup_form("Scored", cheap, cheap[0], token))
    team = await Team.get(name="Scored")
    html = await text(await client.get(f"/teams/{team.id}"))
    assert 'id="scores"' in html and "No points yet" in html

"""League pages: start a league with a friend entirely in the browser."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Driver, League, LeagueMember, Team, User

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]
CHEAP = ("bortoleto", "albon", "hadjar", "lawson", "doohan")


async def text(response: object) -> str:
    return (await response.get_data()).decode()  # type: ignore[attr-defined]


async def post_form(
    client: TestClientProtocol, url: str, pairs: list[tuple[str, str]], **headers: str
) -> object:
    return await client.post(
        url,
        data=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


async def browser_with_team(
    app: Quart, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor, name: str
) -> tuple[TestClientProtocol, str, Team]:
    """Register a player, log in, and build a team through the builder page."""
    client = app.test_client()
    await login(client, await make_user(name))
    token = await csrf_token_for(client)
    ids = [d.id for d in await Driver.filter(ref__in=CHEAP)]
    pairs = [("csrf_token", token), ("name", f"{name.title()} Racing"), ("captain_id", str(ids[0]))]
    response = await post_form(client, "/teams/new", pairs + [("driver_ids", str(i)) for i in ids])
    assert response.status_code == 303  # type: ignore[attr-defined]
    return client, token, await Team.get(name=f"{name.title()} Racing")


async def test_start_a_private_league_with_a_friend(
    app: Quart, season: int, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice, alice_token, alice_team = await browser_with_team(
        app, make_user, login, csrf_token_for, "alice"
    )
    html = await text(await alice.get("/leagues/new"))
    assert f'<option value="{alice_team.id}"' in html
    response = await post_form(
        alice,
        "/leagues/new",
        [
            ("csrf_token", alice_token),
            ("name", "Garage Friends"),
            ("max_teams", "10"),
            ("team_id", str(alice_team.id)),
        ],
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    league = await League.get(name="Garage Friends")
    assert response.headers["Location"] == f"/leagues/{league.id}"  # type: ignore[attr-defined]
    page = await text(await alice.get(f"/leagues/{league.id}"))
    assert f'id="invite-code">{league.invite_code}<' in page and "Private league" in page
    assert "Alice Racing" in page

    bob, bob_token, bob_team = await browser_with_team(app, make_user, login, csrf_token_for, "bob")
    assert (await bob.get(f"/leagues/{league.id}")).status_code == 404
    form = await text(await bob.get(f"/leagues/join?code={league.invite_code}"))
    assert f'value="{league.invite_code}"' in form
    response = await post_form(
        bob,
        "/leagues/join",
        [
            ("csrf_token", bob_token),
            ("invite_code", "WRONG234"),
            ("team_id", str(bob_team.id)),
        ],
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "No league has that invite code" in await text(response)
    response = await post_form(
        bob,
        "/leagues/join",
        [
            ("csrf_token", bob_token),
            ("invite_code", league.invite_code.lower()),
            ("team_id", str(bob_team.id)),
        ],
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = await text(await bob.get(f"/leagues/{league.id}"))
    assert "Alice Racing" in page and "Bob Racing" in page and league.invite_code in page
    assert "2/10 teams" in page
    # The table is the live league board, picking out the viewer's own team.
    assert f'<tbody id="lb-body-league-{league.id}">' in page
    assert f"topics=league%3A{league.id}" in page
    assert f'<tr id="lb-row-{bob_team.id}" class="mine">' in page
    fragment = await text(
        await bob.get(f"/leagues/{league.id}?page=1", headers={"HX-Request": "true"})
    )
    assert fragment.lstrip().startswith('<div id="league-board">') and "<html" not in fragment
    assert "Garage Friends" in await text(await bob.get("/leagues"))

    outsider = app.test_client()
    assert (await outsider.get(f"/leagues/{league.id}")).status_code == 404
    # The owner cannot walk out on a friend; the friend can leave.
    url = f"/leagues/{league.id}/teams/{alice_team.id}/remove"
    response = await post_form(alice, url, [("csrf_token", alice_token)])
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "remove them first" in await text(response)
    url = f"/leagues/{league.id}/teams/{bob_team.id}/remove"
    response = await post_form(bob, url, [("csrf_token", bob_token)])
    assert response.headers["Location"] == "/leagues"  # type: ignore[attr-defined]
    assert await LeagueMember.filter(league_id=league.id).count() == 1


async def test_public_leagues_search_and_join(
    app: Quart, season: int, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice, alice_token, alice_team = await browser_with_team(
        app, make_user, login, csrf_token_for, "alice"
    )
    response = await post_form(
        alice,
        "/leagues/new",
        [
            ("csrf_token", alice_token),
            ("name", "Monza Open"),
            ("is_public", "1"),
            ("max_teams", "2"),
            ("team_id", str(alice_team.id)),
        ],
    )
    league = await League.get(name="Monza Open")
    assert league.is_public

    visitor = app.test_client()
    fragment = await text(await visitor.get("/leagues?q=monza", headers={"HX-Request": "true"}))
    assert fragment.lstrip().startswith('<div id="league-results">') and "<html" not in fragment
    assert "Monza Open" in fragment and "1/2" in fragment
    none = await text(await visitor.get("/leagues?q=spa", headers={"HX-Request": "true"}))
    assert "No public league matches" in none
    page = await text(await visitor.get(f"/leagues/{league.id}"))
    assert "Log in</a> to enter one of your teams" in page and league.invite_code not in page

    bob, bob_token, bob_team = await browser_with_team(app, make_user, login, csrf_token_for, "bob")
    page = await text(await bob.get(f"/leagues/{league.id}"))
    assert f'action="/leagues/{league.id}/join"' in page
    response = await post_form(
        bob,
        f"/leagues/{league.id}/join",
        [("csrf_token", bob_token), ("team_id", str(bob_team.id))],
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    carol, carol_token, carol_team = await browser_with_team(
        app, make_user, login, csrf_token_for, "carol"
    )
    response = await post_form(
        carol,
        f"/leagues/{league.id}/join",
        [("csrf_token", carol_token), ("team_id", str(carol_team.id))],
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "This league is full: 2 of 2 teams" in await text(response)
    # Joining with someone else's team is refused outright.
    response = await post_form(
        carol,
        f"/leagues/{league.id}/join",
        [("csrf_token", carol_token), ("team_id", str(bob_team.id))],
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    # The owner removes a team from the table.
    page = await text(await alice.get(f"/leagues/{league.id}"))
    assert re.search(rf'/leagues/{league.id}/teams/{bob_team.id}/remove".*?Remove', page, re.S)
    response = await post_form(
        alice, f"/leagues/{league.id}/teams/{bob_team.id}/remove", [("csrf_token", alice_token)]
    )
    assert response.headers["Location"] == f"/leagues/{league.id}"  # type: ignore[attr-defined]
    assert "Bob Racing" not in await text(await alice.get(f"/leagues/{league.id}"))


async def test_league_forms_show_errors_beside_fields(
    app: Quart, season: int, make_user: MakeUser, login: Login, csrf_token_for: CsrfFor
) -> None:
    alice, token, team = await browser_with_team(app, make_user, login, csrf_token_for, "alice")
    for pairs, field in (
        ([("name", "x"), ("max_teams", "10")], "name"),
        ([("name", "Fine name"), ("max_teams", "lots")], "max_teams"),
        ([("name", "Fine name"), ("max_teams", "1")], "max_teams"),
    ):
        response = await post_form(
            alice, "/leagues/new", [("csrf_token", token), ("team_id", str(team.id)), *pairs]
        )
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert f'id="e-{field}"' in await text(response)
    assert await League.all().count() == 0
    newcomer = app.test_client()
    await login(newcomer, await make_user("dave"))
    html = await text(await newcomer.get("/leagues/new"))
    assert "Build a team" in html

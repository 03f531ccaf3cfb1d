"""League pages of a game: pick the game when creating, see it on the league page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart import Quart

from tests.leagues.test_pages import post_form, text
from webapp.models import League, Team, User

MakeUser = Callable[..., Awaitable[User]]
MakeTeam = Callable[..., Awaitable[Team]]
Login = Callable[..., Awaitable[None]]


async def test_a_grand_prix_league_from_the_form(
    app: Quart,
    make_team: MakeTeam,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: Callable[..., Awaitable[str]],
    constructor_prices: dict[str, int],
) -> None:
    owner = await make_user("gpfan")
    classic = await make_team(owner=owner, name="Old School")
    grand_prix = await make_team(owner=owner, name="Weekenders", game="grand_prix")
    client = app.test_client()
    await login(client, owner)
    token = await csrf_token_for(client)
    form = await text(await client.get("/leagues/new?game=grand_prix"))
    assert 'name="game" value="grand_prix" checked' in form
    assert "Weekenders (Grand Prix)" in form and "Old School (Classic)" in form
    assert 'href="/games/grand_prix"' in form

    fields = [("csrf_token", token), ("name", "Sunday Club"), ("max_teams", "10")]
    refused = await post_form(
        client, "/leagues/new", [*fields, ("game", "grand_prix"), ("team_id", str(classic.id))]
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "This league plays the Grand Prix game" in await text(refused)
    created = await post_form(
        client,
        "/leagues/new",
        [*fields, ("game", "grand_prix"), ("team_id", str(grand_prix.id))],
    )
    assert created.status_code == 303  # type: ignore[attr-defined]
    league = await League.get(name="Sunday Club")
    assert league.game == "grand_prix"
    page = await text(await client.get(f"/leagues/{league.id}"))
    assert 'href="/games/grand_prix">Grand Prix</a> game' in page
    # The classic team may not join, so it is not offered.
    assert f'<option value="{classic.id}"' not in page

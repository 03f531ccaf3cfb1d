"""The Grand Prix builder's market, as a browser without JavaScript and htmx see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart import Quart
from quart.typing import TestClientProtocol

from tests.teams.forms import post_form
from webapp.models import Driver, Race, Team, TeamChip, User
from webapp.teams.service import create_team

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
CsrfFor = Callable[[TestClientProtocol], Awaitable[str]]


async def test_the_builder_previews_a_change_and_names_a_chip_rule(
    app: Quart,
    client: TestClientProtocol,
    make_user: MakeUser,
    login: Login,
    csrf_token_for: CsrfFor,
    cheap: list[int],
    season: int,
    constructor_prices: dict[str, int],
) -> None:
    races = list(await Race.filter(season_id=season).order_by("round"))
    alice = await make_user("alice")
    cars = [constructor_prices["alpine"], constructor_prices["haas"]]
    team = await create_team(
        owner=alice,
        name="Previewers",
        driver_ids=cheap,
        captain_id=cheap[0],
        constructor_ids=cars,
        game="grand_prix",
        season=season,
        now=races[0].lock_at - timedelta(hours=2),
    )
    at = races[1].lock_at - timedelta(hours=1)
    app.config["CLOCK"] = lambda: at
    await login(client, alice)
    html = (await (await client.get(f"/teams/{team.id}")).get_data()).decode()
    assert "0</strong> of 3 free transfers used" in html and 'data-chip="wildcard"' in html
    token = await csrf_token_for(client)
    spare = [
        d.id
        for d in await Driver.filter(season_id=season).exclude(id__in=cheap).order_by("price", "id")
    ][:4]
    pairs = [("csrf_token", token), ("name", "Previewers"), ("check", "1")]
    pairs += [("driver_ids", str(i)) for i in [*spare, cheap[4]]]
    pairs += [("constructor_ids", str(i)) for i in cars] + [("captain_id", str(cheap[4]))]
    status, fragment = await post_form(client, f"/teams/{team.id}", pairs, htmx=True)
    # The status box alone, before anything is saved: four in, one past the three free.
    assert status == 200 and "<html" not in fragment
    assert "4</strong> of 3 free transfers used" in fragment
    assert "This change would cost -10 points" in fragment
    # Wildcard waits for a scored race: the builder names the rule and plays nothing.
    status, page = await post_form(
        client, f"/teams/{team.id}/chips/wildcard", [("csrf_token", token), ("action", "play")]
    )
    assert status == 422 and "becomes available after the team" in page
    assert not await TeamChip.filter(team_id=team.id).exists()
    status, _ = await post_form(
        client, f"/teams/{team.id}/chips/extra_boost", [("csrf_token", token), ("action", "play")]
    )
    assert status == 303
    assert await TeamChip.filter(team_id=team.id, chip="extra_boost").exists()
    # Another player cannot play a chip on Alice's team.
    bob_client = app.test_client()
    await login(bob_client, await make_user("bob"))
    bob_token = await csrf_token_for(bob_client)
    status, _ = await post_form(
        bob_client,
        f"/teams/{team.id}/chips/no_negative",
        [("csrf_token", bob_token), ("action", "play")],
    )
    assert status == 403
    assert await TeamChip.filter(team_id=team.id).count() == 1
    assert await Team.exists(id=team.id)

"""A player's profile: as data, as the API answers it, and as pages show it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from quart.typing import TestClientProtocol

from tests.stats.conftest import Season2
from webapp.errors import AppError
from webapp.models import League, Replay, Season, Team, User
from webapp.profiles.service import find_player, player_profile


async def test_profile_counts_teams_seasons_leagues_and_best_rank(two_races: Season2) -> None:
    alice = two_races.alice
    # Another season's team that has not scored: no rank to count.
    later = await Season.create(year=2025, name="2025")
    await Team.create(owner=alice, season=later, name="Later")
    await Replay.create(
        season=two_races.world.season,
        began_at=datetime(2026, 1, 1, tzinfo=UTC),
        minutes_per_race=1.0,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    profile = await player_profile(user=alice)
    assert [(t.name, t.season, t.rank, t.teams, t.races) for t in profile.teams] == [
        ("Later", 2025, 1, 1, 0),
        ("Alpha", 2024, 2, 3, 2),
    ]
    assert (profile.best_rank, profile.seasons_played, profile.league_count) == (2, 2, 1)
    assert [(h.season, h.replay) for h in profile.history] == [(2025, False), (2024, True)]
    # Friends is private: named on Alice's own page only.
    assert profile.history[1].leagues == []
    own = await player_profile(user=alice, own=True)
    assert [lg["name"] for lg in own.history[1].leagues] == ["Friends"]


async def test_unknown_players_are_not_found(db: None) -> None:
    with pytest.raises(AppError) as error:
        await find_player(username="nobody")
    assert error.value.status == 404


async def test_profile_api_is_public(client: TestClientProtocol, two_races: Season2) -> None:
    response = await client.get(f"/api/v1/users/{two_races.alice.id}/profile")
    assert response.status_code == 200
    body = await response.get_json()
    assert body == {
        "id": two_races.alice.id,
        "username": "alice",
        "display_name": two_races.alice.display_name,
        "seasons_played": 1,
        "league_count": 1,
        "best_rank": 2,
        "teams": [
            {
                "id": two_races.alpha.id,
                "name": "Alpha",
                "season": 2024,
                "game": "classic",
                "points": 96,
                "rank": 2,
                "replay": False,
            }
        ],
    }
    missing = await client.get("/api/v1/users/99999/profile")
    assert (missing.status_code, (await missing.get_json())["error"]["code"]) == (404, "not_found")


async def test_profile_pages_public_and_own(
    client: TestClientProtocol, two_races: Season2, login: Callable[..., Awaitable[None]]
) -> None:
    page = await client.get("/players/alice")
    assert page.status_code == 200
    html = (await page.get_data()).decode()
    assert "<dt>Best rank</dt><dd>2</dd>" in html
    assert f'<a href="/teams/{two_races.alpha.id}">Alpha</a>' in html
    assert "Friends" not in html
    await login(client, two_races.alice)
    own = (await (await client.get("/players/ALICE")).get_data()).decode()
    assert "Your history" in own and "Friends" in own
    assert (await client.get("/players/nobody")).status_code == 404
    assert (await client.get("/players/a%25")).status_code == 404


async def test_a_public_league_is_named_on_the_public_profile(two_races: Season2) -> None:
    await League.filter(id=two_races.friends.id).update(is_public=True)
    profile = await player_profile(user=await User.get(id=two_races.alice.id))
    assert [lg["name"] for lg in profile.history[0].leagues] == ["Friends"]

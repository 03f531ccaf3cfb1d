"""Ready board bodies: sent as stored, revalidated by ETag, and new after every change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

import webapp.redis as shared_redis
from webapp.leaderboards.bodies import Wanted, read_body
from webapp.leaderboards.refresh import add_team_to_boards
from webapp.leaderboards.routes import JSON_BOARD, BoardOut
from webapp.leagues.service import join_public, remove_team
from webapp.models import User
from webapp.pipeline import rescore_race
from webapp.teams.service import update_team

Headers = Callable[[User], dict[str, str]]
URL = "/api/v1/leaderboard?season=2024"


def names(body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(row["team"]["name"], row["points"]) for row in body["items"]]


async def read(client: TestClientProtocol, url: str = URL, **headers: str) -> tuple[int, Any, str]:
    response = await client.get(url, headers=headers)
    body = await response.get_json() if response.status_code == 200 else None
    return response.status_code, body, response.headers.get("ETag", "")


async def test_a_repeat_read_is_304_until_the_board_changes(
    client: TestClientProtocol, scored: dict[str, Any]
) -> None:
    status, body, etag = await read(client)
    assert status == 200 and names(body) == [("Bravo", 86), ("Alpha", 44)]
    assert etag and BoardOut.model_validate(body).total == 2
    again = await client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and await again.get_data() == b""
    assert again.headers["ETag"] == etag

    await rescore_race(race_id=scored["singapore"].id)  # invalidation: rescoring
    status, body, fresh = await read(client, **{"If-None-Match": etag})
    assert status == 200 and fresh != etag
    assert names(body) == [("Bravo", 152), ("Alpha", 96)]


async def test_renames_and_new_teams_show_on_the_next_read(
    client: TestClientProtocol, scored: dict[str, Any]
) -> None:
    _, _, etag = await read(client)
    await update_team(user=scored["olivia"], team_id=scored["alpha"].id, name="Alpha Prime")
    status, body, renamed = await read(client, **{"If-None-Match": etag})
    assert status == 200 and renamed != etag
    assert names(body) == [("Bravo", 86), ("Alpha Prime", 44)]

    from webapp.teams.service import create_team

    world = scored["world"]
    picks = [driver.id for driver in list(world.drivers.values())[:5]]
    await create_team(
        owner=scored["ben"], name="Late", driver_ids=picks, captain_id=picks[0], season=2024
    )
    status, body, _ = await read(client, **{"If-None-Match": renamed})
    assert status == 200 and body["total"] == 3 and names(body)[-1] == ("Late", 0)


async def test_my_rows_are_mine_and_my_tag_is_mine(
    client: TestClientProtocol, scored: dict[str, Any], auth_headers: Headers
) -> None:
    _, anonymous, anonymous_tag = await read(client)
    _, olivia, olivia_tag = await read(client, **auth_headers(scored["olivia"]))
    _, ben, ben_tag = await read(client, **auth_headers(scored["ben"]))
    assert anonymous["mine"] == [] and anonymous["items"] == olivia["items"] == ben["items"]
    assert [row["team"]["name"] for row in olivia["mine"]] == ["Alpha"]
    assert [row["team"]["name"] for row in ben["mine"]] == ["Bravo"]
    assert len({anonymous_tag, olivia_tag, ben_tag}) == 3
    # Another reader's tag is no proof of holding my body.
    response = await client.get(
        URL, headers={**auth_headers(scored["olivia"]), "If-None-Match": ben_tag}
    )
    assert response.status_code == 200


async def test_league_boards_follow_joins_and_leaves(
    client: TestClientProtocol, scored: dict[str, Any], auth_headers: Headers
) -> None:
    league, ben, bravo = scored["league"], scored["ben"], scored["bravo"]
    url = f"/api/v1/leagues/{league.id}/leaderboard"
    _, body, etag = await read(client, url)
    assert names(body) == [("Alpha", 44)]
    await join_public(user=ben, league_id=league.id, team_id=bravo.id)  # invalidation: joining
    status, body, joined = await read(client, url, **{"If-None-Match": etag})
    assert status == 200 and names(body) == [("Bravo", 86), ("Alpha", 44)]
    _, mine, _ = await read(client, url, **auth_headers(ben))
    assert [row["team"]["name"] for row in mine["mine"]] == ["Bravo"]
    await remove_team(user=ben, league_id=league.id, team_id=bravo.id)  # and leaving
    status, body, _ = await read(client, url, **{"If-None-Match": joined})
    assert status == 200 and names(body) == [("Alpha", 44)]
    _, mine, _ = await read(client, url, **auth_headers(ben))
    assert mine["mine"] == []


async def test_a_private_league_closes_to_a_member_who_left(
    client: TestClientProtocol, scored: dict[str, Any], auth_headers: Headers
) -> None:
    world, ben, bravo = scored["world"], scored["ben"], scored["bravo"]
    league = await world.league(
        "Secret", owner=scored["olivia"], teams=[scored["alpha"], bravo], public=False
    )
    url = f"/api/v1/leagues/{league.id}/leaderboard"
    assert (await read(client, url, **auth_headers(ben)))[0] == 200
    assert (await read(client, url))[0] == 404
    await remove_team(user=ben, league_id=league.id, team_id=bravo.id)
    # His rows were ready, but they were stamped before he left.
    assert (await read(client, url, **auth_headers(ben)))[0] == 404


async def test_a_cached_read_is_one_redis_round_trip(
    scored: dict[str, Any], redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = Wanted(season=2024)
    user = scored["olivia"].id
    first = await read_body(
        JSON_BOARD, wanted, user_id=user, configured_season=None
    )  # fills the cache
    trips: list[str] = []
    client = shared_redis.get_redis()
    command = client.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        trips.append(str(args[0]))
        return await command(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    monkeypatch.setattr(client, "pipeline", None)  # a pipeline would be a trip of its own
    again = await read_body(JSON_BOARD, wanted, user_id=user, configured_season=None)
    assert again == first
    assert trips == ["MGET"]


async def test_the_page_is_304_until_the_board_changes_and_marks_my_rows(
    client: TestClientProtocol, scored: dict[str, Any], make_user: Any, login: Any
) -> None:
    me = await make_user("petra")
    mine = await scored["world"].team("Petra's", owner=me)
    await add_team_to_boards(team_id=mine.id)
    await login(client, me)
    page = await client.get("/leaderboard")
    html, etag = (await page.get_data()).decode(), page.headers["ETag"]
    assert f'<tr id="lb-row-{mine.id}" class="mine">' in html and "Your teams" in html
    assert f'<tr id="lb-row-{scored["alpha"].id}">' in html
    assert (await client.get("/leaderboard", headers={"If-None-Match": etag})).status_code == 304

    await update_team(user=scored["olivia"], team_id=scored["alpha"].id, name="Alpha Prime")
    page = await client.get("/leaderboard", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "Alpha Prime" in (await page.get_data()).decode()


async def test_league_page_shows_a_join_at_once(
    client: TestClientProtocol, scored: dict[str, Any]
) -> None:
    league = scored["league"]
    before = (await (await client.get(f"/leagues/{league.id}")).get_data()).decode()
    assert f'id="lb-row-{scored["bravo"].id}"' not in before
    await join_public(user=scored["ben"], league_id=league.id, team_id=scored["bravo"].id)
    after = (await (await client.get(f"/leagues/{league.id}")).get_data()).decode()
    assert f'<tr id="lb-row-{scored["bravo"].id}">' in after

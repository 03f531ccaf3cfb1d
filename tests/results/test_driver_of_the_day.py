"""Driver of the Day: an admin sets or clears it per race, and the race is rescored with it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from webapp.events import race_channel
from webapp.models import Driver, Race, Season
from webapp.results.polling import poll_race

from .conftest import OFFSETS

RESULTS = "/2025/1/results.json"


async def race_events(pubsub: Any) -> list[dict[str, Any]]:
    """Return the events published on a subscribed race channel so far."""
    events = []
    # Confirmations read as None first; the events are already waiting.
    for _ in range(6):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            events.append(json.loads(message["data"]))
    return events


async def test_an_admin_sets_and_clears_driver_of_the_day(
    client, feed, feed_client, race_one, players, make_user, auth_headers, redis: Redis
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll_race(
        race_id=race_one.id,
        client=feed_client,
        offsets_hours=OFFSETS,
        now=race_one.starts_at + timedelta(hours=2),
    )
    admin = await make_user(username="steward", is_admin=True)
    headers = auth_headers(admin)
    url = f"/api/v1/admin/races/{race_one.id}/driver-of-the-day"
    norris = await Driver.get(season_id=race_one.season_id, ref="norris")
    pubsub = redis.pubsub()
    await pubsub.subscribe(race_channel(race_one.id))

    response = await client.put(url, json={"driver_id": norris.id}, headers=headers)

    assert response.status_code == 200, await response.get_data()
    body = await response.get_json()
    assert body["id"] == race_one.id
    assert body["driver_of_the_day"] == {
        "id": norris.id,
        "ref": "norris",
        "code": "NOR",
        "first_name": "Lando",
        "last_name": "Norris",
    }
    public = await (await client.get(f"/api/v1/races/{race_one.id}")).get_json()
    assert public["driver_of_the_day"]["id"] == norris.id
    listed = await (await client.get("/api/v1/races?season=2025")).get_json()
    assert listed["items"][0]["driver_of_the_day"]["ref"] == "norris"
    # The race was rescored and live pages were told, at the version that counts.
    events = await race_events(pubsub)
    assert [(e["race_id"], e["version"]) for e in events] == [(race_one.id, 1)]

    cleared = await client.delete(url, headers=headers)

    assert cleared.status_code == 200
    assert (await cleared.get_json())["driver_of_the_day"] is None
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id is None
    assert len(await race_events(pubsub)) == 1
    await pubsub.aclose()


async def test_a_driver_of_another_season_is_refused_and_changes_nothing(
    client, race_one, make_user, auth_headers
):
    admin = await make_user(username="steward", is_admin=True)
    headers = auth_headers(admin)
    await Season.create(year=2019, name="2019")
    stranger = await Driver.create(
        season_id=2019, ref="kubica", first_name="Robert", last_name="Kubica", price=5
    )
    url = f"/api/v1/admin/races/{race_one.id}/driver-of-the-day"

    for body, code, field in (
        ({"driver_id": stranger.id}, "unknown_driver", "driver_id"),
        ({"driver_id": 0}, "validation_error", "driver_id"),
        ({"driver_id": "norris"}, "validation_error", "driver_id"),
        ({}, "validation_error", "driver_id"),
    ):
        response = await client.put(url, json=body, headers=headers)
        answer = await response.get_json()
        assert (response.status_code, answer["error"]["code"]) == (422, code), answer
        assert field in answer["error"]["details"]["fields"]
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id is None

    missing = await client.put(
        "/api/v1/admin/races/999999/driver-of-the-day", json={"driver_id": 1}, headers=headers
    )
    assert missing.status_code == 404


async def test_only_admins_enter_driver_of_the_day(client, race_one, make_user, auth_headers):
    player = await make_user(username="fan")
    url = f"/api/v1/admin/races/{race_one.id}/driver-of-the-day"
    norris = await Driver.get(season_id=race_one.season_id, ref="norris")

    response = await client.put(url, json={"driver_id": norris.id}, headers=auth_headers(player))
    assert response.status_code == 403
    assert (await client.delete(url)).status_code == 401
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id is None


async def test_the_admin_race_page_sets_driver_of_the_day(
    client, race_one, make_user, login, csrf_token_for
):
    admin = await make_user(username="steward", is_admin=True)
    await login(client, admin)
    piastri = await Driver.get(season_id=race_one.season_id, ref="piastri")
    page = f"/admin/races/{race_one.id}/results"
    html = (await (await client.get(page)).get_data()).decode()
    assert 'name="driver_of_the_day_id"' in html

    token = await csrf_token_for(client)
    saved = await client.post(
        page,
        form={
            "csrf_token": token,
            "action": "driver_of_the_day",
            "driver_of_the_day_id": str(piastri.id),
        },
    )

    assert saved.status_code == 303
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id == piastri.id
    shown = (await (await client.get(saved.headers["Location"])).get_data()).decode()
    assert "Driver of the Day saved" in shown
    assert f'<option value="{piastri.id}" selected>' in shown

    bad = await client.post(
        page,
        form={"csrf_token": token, "action": "driver_of_the_day", "driver_of_the_day_id": "x"},
    )
    assert bad.status_code == 422
    assert "Choose a driver of the season" in (await bad.get_data()).decode()
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id == piastri.id

    cleared = await client.post(
        page, form={"csrf_token": token, "action": "driver_of_the_day", "driver_of_the_day_id": ""}
    )
    assert cleared.status_code == 303
    assert (await Race.get(id=race_one.id)).driver_of_the_day_id is None


async def test_driver_of_the_day_scores_in_the_grand_prix_game(
    client, feed, feed_client, race_one, make_user, auth_headers
):
    from webapp.models import Constructor, Team, TeamRaceScore
    from webapp.teams.service import create_team

    owner = await make_user(username="gp_fan")
    season = race_one.season_id
    refs = ["norris", "bortoleto", "hadjar", "lawson", "doohan"]
    ids = {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=refs)}
    teams = [
        c.id for c in await Constructor.filter(season_id=season, ref__in=["sauber", "williams"])
    ]
    team = await create_team(
        owner=owner,
        name="Pole position",
        driver_ids=[ids[r] for r in refs],
        captain_id=ids["bortoleto"],
        constructor_ids=teams,
        game="grand_prix",
        season=season,
        now=race_one.lock_at - timedelta(days=1),
    )
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll_race(
        race_id=race_one.id,
        client=feed_client,
        offsets_hours=OFFSETS,
        now=race_one.starts_at + timedelta(hours=2),
    )

    async def points() -> int:
        score = await TeamRaceScore.get(team_id=team.id, race_id=race_one.id)
        return int(score.points)

    before = await points()
    admin = await make_user(username="steward", is_admin=True)
    url = f"/api/v1/admin/races/{race_one.id}/driver-of-the-day"

    await client.put(url, json={"driver_id": ids["norris"]}, headers=auth_headers(admin))
    # Norris is no captain, and constructors do not share Driver of the Day: +10 exactly.
    assert await points() == before + 10
    assert (await Team.get(id=team.id)).points == before + 10

    await client.delete(url, headers=auth_headers(admin))
    assert await points() == before

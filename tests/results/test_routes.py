"""Results API and admin pages: public results, manual entry, queued polls, status."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from redis.asyncio import Redis

from webapp import cache
from webapp.models import FeedPoll, Notification, Race, RaceResult, ResultVersion, Team
from webapp.results.polling import close_abandoned_polls, poll_race
from webapp.taskqueue import QUEUE

from .conftest import OFFSETS, admin_items

RESULTS = "/2025/1/results.json"


async def test_results_are_404_until_they_exist_then_public(
    client, feed, feed_client, race_one, players
):
    missing = await client.get(f"/api/v1/races/{race_one.id}/results")
    assert missing.status_code == 404
    assert (await missing.get_json())["error"]["code"] == "not_found"

    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll_race(
        race_id=race_one.id,
        client=feed_client,
        offsets_hours=OFFSETS,
        now=race_one.starts_at + timedelta(hours=2),
    )
    response = await client.get(f"/api/v1/races/{race_one.id}/results")

    assert response.status_code == 200
    body = await response.get_json()
    assert (body["race_id"], body["version"], body["status"]) == (race_one.id, 1, "provisional")
    first, sainz, hadjar = body["items"][0], body["items"][17], body["items"][19]
    assert first["position"] == 1 and first["position_text"] == "1" and first["points"] == 25
    assert first["driver"]["ref"] == "norris" and first["driver"]["code"] == "NOR"
    assert first["constructor"]["ref"] == "mclaren" and first["fastest_lap_rank"] == 1
    assert first["grid"] == 1 and first["laps"] == 57 and first["status"] == "Finished"
    assert sainz["position"] is None and sainz["position_text"] == "R"
    assert sainz["fastest_lap_rank"] is None  # the feed's rank 0
    assert hadjar["status"] == "Withdrew"


async def test_pages_show_when_the_feed_was_last_reached(client, feed, feed_client, race_one):
    before = (await (await client.get("/")).get_data()).decode()
    assert "Results feed last reached" not in before

    feed.serve_fixture(RESULTS, "2025/1/results_empty.json")
    now = race_one.starts_at + timedelta(hours=1)
    await poll_race(race_id=race_one.id, client=feed_client, offsets_hours=OFFSETS, now=now)

    after = (await (await client.get("/")).get_data()).decode()
    assert "Results feed last reached 2025-03-16T05:00:00Z" in after


async def test_the_feeds_last_contact_outlives_a_redis_flush(
    client, feed, feed_client, race_one, redis
):
    feed.serve_fixture(RESULTS, "2025/1/results_empty.json")
    now = race_one.starts_at + timedelta(hours=1)
    await poll_race(race_id=race_one.id, client=feed_client, offsets_hours=OFFSETS, now=now)
    await redis.flushdb()

    page = (await (await client.get("/")).get_data()).decode()

    assert "Results feed last reached 2025-03-16T05:00:00Z" in page
    # Read back from PostgreSQL once, then kept for the pages after it.
    assert await redis.get(cache.FEED_LAST_REACHED.redis_key) == "2025-03-16T05:00:00+00:00"


async def test_admin_corrects_results_and_teams_are_rescored(
    client, race_one, players, make_user, auth_headers
):
    admin = await make_user(username="steward", is_admin=True)
    headers = auth_headers(admin)
    url = f"/api/v1/admin/races/{race_one.id}/results"

    first = await client.put(
        url, json={"items": await admin_items("2025/1/results.json")}, headers=headers
    )
    assert first.status_code == 200, await first.get_json()
    assert (await first.get_json())["version"] == 1
    second = await client.put(
        url, json={"items": await admin_items("2025/1/results_corrected.json")}, headers=headers
    )

    body = await second.get_json()
    assert second.status_code == 200 and body["version"] == 2
    assert (
        body["items"][0]["driver"]["ref"] == "max_verstappen" and body["items"][0]["points"] == 25
    )
    dsq = next(i for i in body["items"] if i["driver"]["ref"] == "norris")
    assert dsq["position"] is None and dsq["position_text"] == "D" and dsq["points"] == 0
    points = {t.id: t.points for t in await Team.all()}
    assert points[players.alice.id] == 17 and points[players.bob.id] == 80
    versions = await ResultVersion.filter(race_id=race_one.id).order_by("version")
    assert [(v.source, v.created_by_id) for v in versions] == [("manual", admin.id)] * 2  # type: ignore[attr-defined]
    changed = await Notification.filter(type="results_changed").count()
    assert changed == 2


async def test_manual_results_are_checked_and_bad_ones_change_nothing(
    client, race_one, players, make_user, auth_headers
):
    admin = await make_user(username="steward", is_admin=True)
    url = f"/api/v1/admin/races/{race_one.id}/results"
    good = await admin_items("2025/1/results.json")

    bad_text = [dict(good[0], position_text="X"), *good[1:]]
    response = await client.put(url, json={"items": bad_text}, headers=auth_headers(admin))
    body = await response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "validation_error"
    assert "items.0.position_text" in body["error"]["details"]["fields"]

    gap = [dict(good[2], position_text="7"), *good[3:]]  # no winner, no second
    response = await client.put(url, json={"items": gap}, headers=auth_headers(admin))
    body = await response.get_json()
    assert response.status_code == 422 and "classified positions" in body["error"]["message"]

    unknown = [dict(good[0], driver_id=999_999), *good[1:]]
    response = await client.put(url, json={"items": unknown}, headers=auth_headers(admin))
    body = await response.get_json()
    assert response.status_code == 422 and body["error"]["code"] == "unknown_driver"

    twice = [*good, good[0]]
    response = await client.put(url, json={"items": twice}, headers=auth_headers(admin))
    assert response.status_code == 422

    assert await ResultVersion.all().count() == 0 and await RaceResult.all().count() == 0
    assert await Notification.all().count() == 0


async def test_only_admins_use_the_admin_endpoints(client, race_one, make_user, auth_headers):
    player = await make_user(username="player")
    url = f"/api/v1/admin/races/{race_one.id}"
    for method, path in (("PUT", "/results"), ("POST", "/poll")):
        anonymous = await client.open(url + path, method=method, json={"items": []})
        assert anonymous.status_code == 401
        forbidden = await client.open(
            url + path, method=method, json={"items": []}, headers=auth_headers(player)
        )
        assert forbidden.status_code == 403
    status = await client.get("/api/v1/admin/status", headers=auth_headers(player))
    assert status.status_code == 403
    assert (await client.get("/admin/status")).status_code in (302, 303, 401)


async def test_poll_now_queues_a_task(client, race_one, make_user, auth_headers, redis: Redis):
    admin = await make_user(username="steward", is_admin=True)

    response = await client.post(
        f"/api/v1/admin/races/{race_one.id}/poll", headers=auth_headers(admin)
    )

    assert response.status_code == 202
    body = await response.get_json()
    assert body["race_id"] == race_one.id and body["task_id"]
    messages = await redis.xrange(QUEUE)
    assert len(messages) == 1
    assert "paddock.poll_race" in messages[0][1]["data"]
    missing = await client.post("/api/v1/admin/races/999999/poll", headers=auth_headers(admin))
    assert missing.status_code == 404
    assert await redis.xlen(QUEUE) == 1


async def test_status_shows_polls_failures_and_the_queue(
    app, client, feed, feed_client, race_one, make_user, auth_headers
):
    admin = await make_user(username="steward", is_admin=True)
    app.config["CLOCK"] = lambda: race_one.starts_at + timedelta(hours=3)
    feed.script(RESULTS, *[{"status": 503}] * 3)
    await poll_race(
        race_id=race_one.id,
        client=feed_client,
        offsets_hours=OFFSETS,
        now=race_one.starts_at + timedelta(hours=2),
    )

    response = await client.get("/api/v1/admin/status", headers=auth_headers(admin))

    assert response.status_code == 200
    body = await response.get_json()
    race = next(r for r in body["races"] if r["race_id"] == race_one.id)
    assert race["last_poll"]["ok"] is False and race["last_poll"]["outcome"] == "unavailable"
    assert race["last_poll"]["started_at"].endswith("Z")
    assert race["last_success_at"] is None and race["next_poll_at"].endswith("Z")
    assert body["poll_failures"][0]["race_id"] == race_one.id
    assert body["feed"]["last_reached_at"] is None
    assert set(body["queue"]) == {"stream", "length", "pending", "undelivered", "consumers"}
    assert body["queue"]["stream"] == QUEUE


async def test_admin_pages_enter_results_and_show_status(
    app, client, race_one, players, make_user, login, csrf_token_for
):
    admin = await make_user(username="steward", is_admin=True)
    await login(client, admin)
    page = await client.get(f"/admin/races/{race_one.id}/results")
    assert page.status_code == 200
    html = (await page.get_data()).decode()
    driver_ids = re.findall(r'name="driver_id" value="(\d+)"', html)
    assert len(driver_ids) == 21

    by_id = {i["driver_id"]: i for i in await admin_items("2025/1/results.json")}
    form: dict[str, list[str]] = {
        k: [] for k in ("driver_id", "position_text", "grid", "laps", "status", "fastest_lap_rank")
    }
    for driver_id in driver_ids:
        item = by_id.get(int(driver_id))
        form["driver_id"].append(driver_id)
        form["position_text"].append(item["position_text"] if item else "")
        form["grid"].append(str(item["grid"]) if item else "")
        form["laps"].append(str(item["laps"]) if item else "")
        form["status"].append(item["status"] if item else "")
        form["fastest_lap_rank"].append(str(item["fastest_lap_rank"] or "") if item else "")
    token = await csrf_token_for(client)
    pairs = [(k, v) for k, values in form.items() for v in values]
    pairs += [("csrf_token", token), ("action", "save")]
    saved = await client.post(
        f"/admin/races/{race_one.id}/results",
        data=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert saved.status_code == 303, (await saved.get_data()).decode()[:500]
    assert (await Race.get(id=race_one.id)).results_version == 1
    assert {t.id: t.points for t in await Team.all()}[players.alice.id] == 72

    status = await client.get("/admin/status")
    assert status.status_code == 200
    assert "Feed last reached" in (await status.get_data()).decode()


async def test_status_shows_a_killed_poll_as_abandoned_not_as_an_empty_failure(
    app, client, race_one, make_user, auth_headers, login
):
    admin = await make_user(username="steward", is_admin=True)
    now = datetime.now(UTC)
    await FeedPoll.create(
        race_id=race_one.id, started_at=now - timedelta(hours=1), worker="host-a:4242"
    )
    running = await FeedPoll.create(race_id=race_one.id, started_at=now, worker="host-c:9")

    before = await (
        await client.get("/api/v1/admin/status", headers=auth_headers(admin))
    ).get_json()
    assert before["poll_failures"] == []  # open polls are not failures with empty fields
    await close_abandoned_polls(now=now, closed_by="host-b:7")
    body = await (await client.get("/api/v1/admin/status", headers=auth_headers(admin))).get_json()

    [failure] = body["poll_failures"]
    assert failure["race_id"] == race_one.id and failure["outcome"] == "abandoned"
    assert failure["worker"] == "host-a:4242" and failure["closed_by"] == "host-b:7"
    assert failure["finished_at"].endswith("Z") and failure["error"]
    race = next(r for r in body["races"] if r["race_id"] == race_one.id)
    assert race["last_poll"]["started_at"] == running.started_at.isoformat().replace("+00:00", "Z")
    assert race["last_poll"]["finished_at"] is None and race["last_poll"]["worker"] == "host-c:9"

    await login(client, admin)
    html = (await (await client.get("/admin/status")).get_data()).decode()
    assert "abandoned</span>: started by host-a:4242" in html and "by host-b:7" in html
    assert "running on host-c:9" in html

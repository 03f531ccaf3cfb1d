"""The admin front page: what an operator sees first, and who may see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import FeedPoll, Race, TaskRun, User

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]


async def test_admin_home_shows_queue_runs_failures_and_polls(
    app: Quart, client: TestClientProtocol, race_one: Race, make_user: MakeUser, login: Login
) -> None:
    after = race_one.starts_at + timedelta(hours=3)
    app.config["CLOCK"] = lambda: after
    await FeedPoll.create(
        race=race_one,
        started_at=after - timedelta(hours=1),
        finished_at=after - timedelta(hours=1),
        outcome="unavailable",
        error="HTTP 503 from the feed",
    )
    await TaskRun.create(
        task_name="paddock.rescore_race", task_id="t1", started_at=after, finished_at=after, ok=True
    )
    await TaskRun.create(
        task_name="paddock.lock_lineups",
        task_id="t2",
        started_at=after,
        finished_at=after,
        error="lock table timed out",
    )
    await login(client, await make_user("steward", is_admin=True))

    response = await client.get("/admin")

    assert response.status_code == 200
    html = (await response.get_data()).decode()
    assert '<a href="/admin">Admin</a>' in html  # the nav leads admins here
    assert "tasks waiting" in html and "workers" in html
    assert "paddock.rescore_race" in html  # recent runs
    assert "HTTP 503 from the feed" in html and "lock table timed out" in html  # failures
    assert race_one.name in html and "unavailable" in html  # the race's last poll
    assert f'href="/admin/races/{race_one.id}/results"' in html
    assert 'href="/admin/results"' in html and 'href="/admin/status"' in html
    assert 'href="/admin/replay"' in html


async def test_admin_home_is_for_admins_only(
    client: TestClientProtocol, race_one: Race, make_user: MakeUser, login: Login
) -> None:
    anonymous = await client.get("/admin")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].startswith("/login?next=")
    player = await make_user("player")
    await login(client, player)
    forbidden = await client.get("/admin")
    assert forbidden.status_code == 403
    assert '<a href="/admin">' not in (await forbidden.get_data()).decode()

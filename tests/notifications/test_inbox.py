"""The notifications API and page: newest first, unread filter and count, marking read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from quart.typing import TestClientProtocol

from webapp.models import Notification, NotificationType, User
from webapp.notifications.service import NewNotification, create_notifications

MakeUser = Callable[..., Awaitable[User]]
Headers = Callable[[User], dict[str, str]]
START = datetime(2025, 3, 16, 6, 0, tzinfo=UTC)


async def notify(user: User, n: int, *, at: datetime) -> None:
    await create_notifications(
        [
            NewNotification(
                user_id=user.id,
                type=NotificationType.RESULTS_PUBLISHED,
                title=f"Note {n}",
                body=f"Body {n}",
                dedup_key=f"test:{user.id}:{n}",
                data={"race_id": 1, "team_id": n, "points": n},
            )
        ],
        now=at,
    )


@pytest.fixture
async def alice(make_user: MakeUser) -> User:
    user = await make_user("alice")
    for n in range(1, 6):
        await notify(user, n, at=START + timedelta(minutes=n))
    return user


async def test_list_is_newest_first_with_total_and_unread_count(
    client: TestClientProtocol, alice: User, auth_headers: Headers
) -> None:
    response = await client.get("/api/v1/notifications?limit=2", headers=auth_headers(alice))
    assert response.status_code == 200
    body = await response.get_json()
    assert body["total"] == 5 and body["unread_count"] == 5
    assert [item["title"] for item in body["items"]] == ["Note 5", "Note 4"]
    first = body["items"][0]
    assert first == {
        "id": first["id"],
        "type": "results_published",
        "title": "Note 5",
        "body": "Body 5",
        "data": {"race_id": 1, "team_id": 5, "points": 5},
        "read": False,
        "created_at": "2025-03-16T06:05:00Z",
    }
    page = await client.get("/api/v1/notifications?limit=2&offset=4", headers=auth_headers(alice))
    assert [item["title"] for item in (await page.get_json())["items"]] == ["Note 1"]


async def test_mark_one_read_then_filter_unread_then_mark_all(
    client: TestClientProtocol, alice: User, auth_headers: Headers
) -> None:
    headers = auth_headers(alice)
    items = (await (await client.get("/api/v1/notifications", headers=headers)).get_json())["items"]
    note_4 = items[1]["id"]

    response = await client.post(f"/api/v1/notifications/{note_4}/read", headers=headers)
    assert response.status_code == 204
    # Marking it again is harmless.
    assert (
        await client.post(f"/api/v1/notifications/{note_4}/read", headers=headers)
    ).status_code == 204

    unread = await (
        await client.get("/api/v1/notifications?unread=true", headers=headers)
    ).get_json()
    assert [item["title"] for item in unread["items"]] == ["Note 5", "Note 3", "Note 2", "Note 1"]
    assert unread["total"] == 4 and unread["unread_count"] == 4
    everything = await (await client.get("/api/v1/notifications", headers=headers)).get_json()
    assert everything["total"] == 5 and everything["unread_count"] == 4
    assert [item["read"] for item in everything["items"]] == [False, True, False, False, False]

    assert (await client.post("/api/v1/notifications/read-all", headers=headers)).status_code == 204
    after = await (
        await client.get("/api/v1/notifications?unread=true", headers=headers)
    ).get_json()
    assert after == {"items": [], "total": 0, "unread_count": 0}


async def test_someone_elses_notification_is_not_found_and_stays_unread(
    client: TestClientProtocol, alice: User, make_user: MakeUser, auth_headers: Headers
) -> None:
    bob = await make_user("bob")
    note = await Notification.filter(user_id=alice.id).first()
    assert note is not None
    response = await client.post(f"/api/v1/notifications/{note.id}/read", headers=auth_headers(bob))
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"
    missing = await client.post("/api/v1/notifications/999999/read", headers=auth_headers(bob))
    assert missing.status_code == 404
    # Bob's read-all leaves Alice's alone, and Bob's list has none of hers.
    assert (
        await client.post("/api/v1/notifications/read-all", headers=auth_headers(bob))
    ).status_code == 204
    assert await Notification.filter(user_id=alice.id, read_at__isnull=True).count() == 5
    listed = await (await client.get("/api/v1/notifications", headers=auth_headers(bob))).get_json()
    assert listed == {"items": [], "total": 0, "unread_count": 0}


async def test_the_api_needs_a_login_and_checks_its_query(
    client: TestClientProtocol, alice: User, auth_headers: Headers
) -> None:
    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.post("/api/v1/notifications/read-all")).status_code == 401
    bad = await client.get("/api/v1/notifications?limit=0", headers=auth_headers(alice))
    assert bad.status_code == 422
    assert "limit" in (await bad.get_json())["error"]["details"]["fields"]
    big = await client.get("/api/v1/notifications?limit=5000", headers=auth_headers(alice))
    assert big.status_code == 200 and len((await big.get_json())["items"]) == 5


async def test_the_page_lists_filters_and_marks_read_with_csrf(
    client: TestClientProtocol,
    alice: User,
    login: Callable[..., Awaitable[None]],
    csrf_token_for: Callable[[TestClientProtocol], Awaitable[str]],
) -> None:
    await login(client, alice)
    html = (await (await client.get("/notifications")).get_data()).decode()
    assert html.index("Note 5") < html.index("Note 1")
    assert '<span id="unread-badge" class="badge" title="5 unread">5</span>' in html
    note = await Notification.get(user_id=alice.id, title="Note 3")

    forged = await client.post(f"/notifications/{note.id}/read", form={})
    assert forged.status_code == 403
    token = await csrf_token_for(client)
    done = await client.post(f"/notifications/{note.id}/read", form={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/notifications"

    unread = (await (await client.get("/notifications?unread=1")).get_data()).decode()
    assert "Note 3" not in unread and "Note 2" in unread
    assert "4 unread" in unread

    # htmx gets the list back, with the nav badge out of band.
    fragment = await client.post(
        "/notifications/read-all?unread=1",
        form={"csrf_token": token},
        headers={"HX-Request": "true"},
    )
    text = (await fragment.get_data()).decode()
    assert fragment.status_code == 200 and "<html" not in text
    assert 'id="inbox"' in text and "Nothing unread." in text
    assert '<span id="unread-badge" class="badge badge-empty" hx-swap-oob="true"' in text


async def test_the_page_sends_anonymous_visitors_to_log_in(
    client: TestClientProtocol, db: None
) -> None:
    response = await client.get("/notifications")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login")

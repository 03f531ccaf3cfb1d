"""Web Push: opting in per type, subscribing a browser, and the worker's encrypted pushes.

A local HTTP server stands in for the browser's push service; it records what the worker
posts, and the test decrypts each body with the keys of its own pretend browser.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from webapp.models import (
    Notification,
    NotificationType,
    PushPreference,
    PushSubscription,
    Race,
    RaceStatus,
    User,
)
from webapp.notifications import push
from webapp.notifications.producers import announce, notify_deadlines_soon
from webapp.notifications.service import NewNotification, create_notifications, publish_results
from webapp.settings import Settings
from webapp.taskqueue import QUEUE
from workers.tasks import send_pushes

MakeUser = Callable[..., Awaitable[User]]
Headers = Callable[[User], dict[str, str]]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A pretend browser's push keys: a P-256 key pair and a 16-byte auth secret."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class PushService:
    """A push service on 127.0.0.1: 201 for every endpoint, but 410 under /gone, 404 under /lost."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                service.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = (
                    410
                    if self.path.startswith("/gone")
                    else 404
                    if self.path.startswith("/lost")
                    else 201
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    service.thread.start()
    try:
        yield service
    finally:
        service.server.shutdown()
        service.server.server_close()


async def note(user: User, kind: NotificationType, key: str, **data: Any) -> None:
    await create_notifications(
        [
            NewNotification(
                user_id=user.id,
                type=kind,
                title=f"{kind} for {user.username}",
                body=f"Body of {key}",
                dedup_key=key,
                data=data,
            )
        ]
    )


async def subscribe(
    client: TestClientProtocol, headers: dict[str, str], endpoint: str, browser: Browser
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": endpoint, "keys": browser.keys},
        headers=headers,
    )
    assert response.status_code == 201, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    return body


async def test_a_chosen_notification_reaches_the_browser_encrypted_and_signed_once(
    client: TestClientProtocol,
    make_user: MakeUser,
    auth_headers: Headers,
    push_service: PushService,
    settings: Settings,
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    headers = auth_headers(alice)
    chosen = await client.put(
        "/api/v1/push/preferences",
        json={"types": ["results_changed", "deadline_soon"]},
        headers=headers,
    )
    assert chosen.status_code == 200
    answer = await chosen.get_json()
    assert {t["type"]: t["enabled"] for t in answer["types"]} == {
        "deadline_soon": True,
        "results_published": False,
        "results_changed": True,
        "rank_changed": False,
    }
    public_key = answer["public_key"]
    assert len(unb64url(public_key)) == 65  # an uncompressed P-256 point

    phone, laptop = Browser(), Browser()
    made = await subscribe(client, headers, push_service.url("/sub/phone"), phone)
    await subscribe(client, headers, push_service.url("/sub/laptop"), laptop)
    listed = await (await client.get("/api/v1/push/subscriptions", headers=headers)).get_json()
    assert [i["endpoint"] for i in listed["items"]] == [
        push_service.url("/sub/phone"),
        push_service.url("/sub/laptop"),
    ]
    assert listed["items"][0]["id"] == made["id"]

    await note(alice, NotificationType.RESULTS_CHANGED, "rc:1", race_id=7, team_id=3)
    await note(alice, NotificationType.LEAGUE_JOINED, "lj:1", league_id=2, team_id=4)
    await note(bob, NotificationType.RESULTS_CHANGED, "rc:bob", race_id=7, team_id=5)

    report = await send_pushes()
    assert report == {"claimed": 3, "sent": 2, "failed": 0, "dropped": 0}
    [to_phone] = push_service.to("/sub/phone")
    [to_laptop] = push_service.to("/sub/laptop")
    message = phone.decrypt(to_phone.body)
    assert message == {
        "type": "results_changed",
        "title": "results_changed for alice",
        "body": "Body of rc:1",
        "url": "/races/7",
        "tag": "rc:1",
    }
    assert laptop.decrypt(to_laptop.body) == message
    with pytest.raises(Exception):  # noqa: B017 - another browser's keys do not open it
        laptop.decrypt(to_phone.body)

    # Signed with our VAPID key for this push service's origin.
    assert to_phone.headers["content-encoding"] == "aes128gcm"
    assert int(to_phone.headers["ttl"]) > 0
    scheme, _, params = to_phone.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    verifier = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    claims = jwt.decode(parts["t"], verifier, algorithms=["ES256"], audience=push_service.origin)
    assert claims["sub"] == settings.vapid_subject

    # Every notification was taken once: a second run sends nothing again.
    assert await Notification.filter(pushed_at__isnull=True).count() == 0
    assert await send_pushes() == {"claimed": 0, "sent": 0, "failed": 0, "dropped": 0}
    assert len(push_service.received) == 2


def changed(user: User, key: str) -> NewNotification:
    return NewNotification(
        user_id=user.id,
        type=NotificationType.RESULTS_CHANGED,
        title="Results changed",
        body=f"Body of {key}",
        dedup_key=key,
        data={"race_id": 7},
    )


async def sent_tasks(redis: Redis) -> list[str]:
    """Return the names of the tasks on the stream, oldest first."""
    return [json.loads(fields["data"])["task_name"] for _, fields in await redis.xrange(QUEUE)]


async def test_new_notifications_are_pushed_at_once_not_at_the_next_sweep(
    client: TestClientProtocol,
    make_user: MakeUser,
    auth_headers: Headers,
    push_service: PushService,
    redis: Redis,
) -> None:
    alice = await make_user("alice")
    headers = auth_headers(alice)
    chosen = await client.put(
        "/api/v1/push/preferences", json={"types": ["results_changed"]}, headers=headers
    )
    assert chosen.status_code == 200
    phone = Browser()
    await subscribe(client, headers, push_service.url("/sub/phone"), phone)
    await redis.delete(QUEUE)

    # A worker task's notifications (announce), then the results pipeline's (publish_results):
    # each sends the pushing task the moment they exist.
    await announce(await create_notifications([changed(alice, "rc:1")]))
    assert await sent_tasks(redis) == ["paddock.send_pushes"]
    assert await send_pushes() == {"claimed": 1, "sent": 1, "failed": 0, "dropped": 0}
    [first] = push_service.to("/sub/phone")
    assert phone.decrypt(first.body)["tag"] == "rc:1"
    await publish_results(
        race_id=7,
        season=2024,
        version=2,
        status="provisional",
        changed_games=["classic"],
        notified=await create_notifications([changed(alice, "rc:2")]),
    )
    assert await sent_tasks(redis) == ["paddock.send_pushes"] * 2
    assert (await send_pushes())["sent"] == 1

    # A notification deduplicated away is no news: no task, and nothing pushed twice.
    await announce(await create_notifications([changed(alice, "rc:1")]))
    assert len(await sent_tasks(redis)) == 2
    assert (await send_pushes())["claimed"] == 0
    assert [phone.decrypt(r.body)["tag"] for r in push_service.to("/sub/phone")] == ["rc:1", "rc:2"]


async def test_a_subscription_the_push_service_forgot_is_dropped(
    client: TestClientProtocol,
    make_user: MakeUser,
    auth_headers: Headers,
    push_service: PushService,
    settings: Settings,
) -> None:
    alice = await make_user("alice")
    headers = auth_headers(alice)
    await client.put("/api/v1/push/preferences", json={"types": ["rank_changed"]}, headers=headers)
    kept, gone, lost = Browser(), Browser(), Browser()
    await subscribe(client, headers, push_service.url("/kept"), kept)
    await subscribe(client, headers, push_service.url("/gone"), gone)
    await subscribe(client, headers, push_service.url("/lost"), lost)
    await note(alice, NotificationType.RANK_CHANGED, "rank:1", league_id=9, team_id=1)

    report = await push.send_pending(settings=settings)
    assert (report.sent, report.dropped, report.failed) == (1, 2, 0)
    assert kept.decrypt(push_service.to("/kept")[0].body)["url"] == "/leagues/9"
    assert [s.endpoint for s in await PushSubscription.all()] == [push_service.url("/kept")]


async def test_an_unreachable_push_service_fails_without_losing_other_pushes(
    client: TestClientProtocol,
    make_user: MakeUser,
    auth_headers: Headers,
    push_service: PushService,
    settings: Settings,
) -> None:
    alice = await make_user("alice")
    headers = auth_headers(alice)
    await client.put(
        "/api/v1/push/preferences", json={"types": ["results_published"]}, headers=headers
    )
    browser = Browser()
    await subscribe(client, headers, "http://127.0.0.1:9/closed", browser)
    await subscribe(client, headers, push_service.url("/ok"), browser)
    await note(alice, NotificationType.RESULTS_PUBLISHED, "rp:1", race_id=1, team_id=1)

    report = await push.send_pending(settings=settings)
    assert (report.sent, report.failed, report.dropped) == (1, 1, 0)
    # A service that did not answer has not said the subscription is gone: it stays.
    assert await PushSubscription.all().count() == 2


async def test_bad_subscriptions_and_types_are_refused_naming_the_field(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    headers = auth_headers(alice)
    keys = Browser().keys

    async def refused(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post("/api/v1/push/subscriptions", json=body, headers=headers)
        assert response.status_code == 422
        error: dict[str, Any] = (await response.get_json())["error"]
        return error

    bad_point = await refused(
        {"endpoint": "https://push.example/x", "keys": {**keys, "p256dh": b64url(b"\x04" * 65)}}
    )
    assert bad_point["code"] == "invalid_push_keys"
    assert bad_point["details"]["field"] == "keys.p256dh"
    short_auth = await refused(
        {"endpoint": "https://push.example/x", "keys": {**keys, "auth": b64url(b"12345")}}
    )
    assert short_auth["code"] == "invalid_push_keys"
    assert short_auth["details"]["field"] == "keys.auth"
    not_url = await refused({"endpoint": "ftp://push.example/x", "keys": keys})
    assert not_url["code"] == "invalid_push_endpoint"
    missing = await refused({"endpoint": "https://push.example/x"})
    assert missing["code"] == "validation_error" and "keys" in missing["details"]["fields"]

    wrong_type = await client.put(
        "/api/v1/push/preferences", json={"types": ["league_joined"]}, headers=headers
    )
    assert wrong_type.status_code == 422
    assert "types.0" in (await wrong_type.get_json())["error"]["details"]["fields"]
    assert await PushSubscription.all().count() == 0
    assert await PushPreference.all().count() == 0

    # Someone else's subscription is not yours to delete; signed out, nothing is.
    theirs = await subscribe(client, auth_headers(bob), "https://push.example/bob", Browser())
    other = await client.delete(f"/api/v1/push/subscriptions/{theirs['id']}", headers=headers)
    assert other.status_code == 404
    anonymous = await client.get("/api/v1/push")
    assert anonymous.status_code == 401
    mine = await client.delete(
        f"/api/v1/push/subscriptions/{theirs['id']}", headers=auth_headers(bob)
    )
    assert mine.status_code == 204 and await PushSubscription.all().count() == 0


def test_production_accepts_only_public_https_push_services() -> None:
    push.check_endpoint("https://fcm.googleapis.com/fcm/send/abc", production=True)
    push.check_endpoint("http://127.0.0.1:5000/sub", production=False)
    for endpoint in (
        "http://push.example/x",
        "https://127.0.0.1/x",
        "https://10.0.0.2/x",
        "https://localhost/x",
        "https://[::1]/x",
    ):
        with pytest.raises(push.AppError) as caught:
            push.check_endpoint(endpoint, production=True)
        assert caught.value.code == "invalid_push_endpoint"


async def test_the_notifications_page_saves_push_types_and_offers_the_device_button(
    client: TestClientProtocol,
    make_user: MakeUser,
    login: Callable[..., Awaitable[None]],
    csrf_token_for: Callable[[TestClientProtocol], Awaitable[str]],
) -> None:
    alice = await make_user("alice")
    await login(client, alice)
    html = (await (await client.get("/notifications")).get_data()).decode()
    assert 'id="push-settings"' in html and 'id="push-on"' in html
    assert 'value="deadline_soon">' in html and 'value="league_joined"' not in html

    token = await csrf_token_for(client)
    pairs = [("csrf_token", token), ("types", "deadline_soon"), ("types", "rank_changed")]
    saved = await client.post(
        "/notifications/push",
        data=urlencode(pairs),
        headers={"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"},
    )
    text = (await saved.get_data()).decode()
    assert saved.status_code == 200 and "<html" not in text and "Saved." in text
    assert 'value="deadline_soon" checked' in text and 'value="rank_changed" checked' in text
    assert 'value="results_published" checked' not in text
    assert await push.preferences(user_id=alice.id) == [
        NotificationType.DEADLINE_SOON,
        NotificationType.RANK_CHANGED,
    ]
    plain = await client.post("/notifications/push", form={"csrf_token": token})
    assert plain.status_code == 303 and await push.preferences(user_id=alice.id) == []


async def test_a_deadline_within_the_hour_reminds_each_player_once(
    season: int, make_user: MakeUser
) -> None:
    from tests.live.scenario import build_league

    alice, bob = await make_user("alice"), await make_user("bob")
    world = await build_league(season=season, alice=alice, bob=bob)
    await Race.filter(season_id=season).update(status=RaceStatus.SCHEDULED)
    race = await Race.get(id=world.race.id)

    early = await notify_deadlines_soon(now=race.lock_at - timedelta(minutes=61))
    assert [n for n in early if n.data["race_id"] == race.id] == []
    soon = [
        n
        for n in await notify_deadlines_soon(now=race.lock_at - timedelta(minutes=50))
        if n.data["race_id"] == race.id
    ]
    assert sorted(n.user_id for n in soon) == [alice.id, bob.id]
    [to_alice] = [n for n in soon if n.user_id == alice.id]
    assert to_alice.type == NotificationType.DEADLINE_SOON
    assert f"{race.name}: lineups lock within the hour" == to_alice.title
    assert world.alpha.name in to_alice.body
    assert push.link(str(to_alice.type), to_alice.data) == f"/teams/{world.alpha.id}"
    again = await notify_deadlines_soon(now=race.lock_at - timedelta(minutes=10))
    assert [n for n in again if n.data["race_id"] == race.id] == []
    assert await Notification.filter(type=NotificationType.DEADLINE_SOON).count() == 2
    # Past the lock there is nothing to remind of.
    late = await notify_deadlines_soon(now=race.lock_at)
    assert [n for n in late if n.data["race_id"] == race.id] == []


def test_an_unreadable_vapid_key_turns_push_off_instead_of_failing(settings: Settings) -> None:
    broken = settings.model_copy(update={"vapid_private_key": "not-a-key"})
    assert push.vapid(broken) is None and push.public_key(broken) is None
    assert push.public_key(settings) is not None


def test_a_push_opens_the_notifications_own_link_else_its_page() -> None:
    versions = {"race_id": 4, "url": "/races/4/versions?to=2"}
    assert push.link("results_changed", versions) == "/races/4/versions?to=2"
    assert push.link("results_published", {"race_id": 4}) == "/races/4"
    assert push.link("rank_changed", {"league_id": 2, "team_id": 1}) == "/leagues/2"
    assert push.link("results_changed", {"url": "//elsewhere.example/x"}) == "/races"


async def test_a_player_subscribes_at_most_twenty_browsers(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers
) -> None:
    headers = auth_headers(await make_user("alice"))
    browser = Browser()
    for n in range(push.MAX_SUBSCRIPTIONS):
        await subscribe(client, headers, f"https://push.example/{n}", browser)
    # The same browser again renews its keys; a new one is refused by name.
    await subscribe(client, headers, "https://push.example/0", Browser())
    refused = await client.post(
        "/api/v1/push/subscriptions",
        json={"endpoint": "https://push.example/more", "keys": browser.keys},
        headers=headers,
    )
    assert refused.status_code == 422
    error = (await refused.get_json())["error"]
    assert error["code"] == "too_many_push_subscriptions" and error["details"]["limit"] == 20
    assert await PushSubscription.all().count() == push.MAX_SUBSCRIPTIONS

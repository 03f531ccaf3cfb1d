"""Walk every route of the app as anonymous, as another user and as a non-admin.

The walk is built from `app.url_map`, so a new route is covered the day it is added; a
path parameter missing from PARAMS fails the walk by name until the table learns it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from quart import Quart
from werkzeug.routing import Rule

from webapp.auth.sessions import create_session
from webapp.leagues.service import create_league
from webapp.models import (
    Driver,
    Notification,
    NotificationType,
    PushSubscription,
    Race,
    Team,
    User,
)
from webapp.teams.service import create_team

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# API routes anyone may call unauthenticated, whatever the method.
PUBLIC_API_WRITES = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
}
# Valid bodies, so that a refusal is about who asks, not about what they sent.
BODIES: dict[tuple[str, str], Callable[[World], dict[str, Any]]] = {
    ("PUT", "/api/v1/teams/<int:team_id>"): lambda w: {"name": "Hijacked"},
    ("POST", "/api/v1/leagues/<int:league_id>/join"): lambda w: {"team_id": w.bob_team},
    ("POST", "/api/v1/leagues/join"): lambda w: {
        "invite_code": "NOPE2345",
        "team_id": w.alice_team,
    },
    ("POST", "/api/v1/leagues"): lambda w: {
        "name": "Mine",
        "is_public": True,
        "team_id": w.alice_team,
    },
    ("POST", "/api/v1/teams"): lambda w: {"name": "X", "driver_ids": [], "captain_id": 0},
    ("PATCH", "/api/v1/users/me"): lambda w: {"display_name": "New"},
    ("PATCH", "/api/v1/admin/drivers/<int:driver_id>"): lambda w: {"price": 9.5},
    ("PATCH", "/api/v1/admin/races/<int:race_id>"): lambda w: {"status": "cancelled"},
    ("PUT", "/api/v1/push/preferences"): lambda w: {"types": ["rank_changed"]},
    ("POST", "/api/v1/push/subscriptions"): lambda w: {
        "endpoint": "https://push.example/walk",
        "keys": {"p256dh": "BAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
    },
    ("PUT", "/api/v1/admin/races/<int:race_id>/results"): lambda w: {
        "items": [{"driver_id": w.driver, "position_text": "1", "status": "Finished"}]
    },
}


@dataclass
class World:
    """Alice's private things, Bob's team, and the ids every path needs."""

    alice: User
    bob: User
    alice_team: int
    bob_team: int
    private_league: int
    alice_note: int
    race: int
    driver: int
    constructor: int = 0
    push_subscription: int = 0

    def params(self) -> dict[str, str]:
        """Return a value for every path parameter of the app's routes."""
        return {
            "team_id": str(self.alice_team),
            "league_id": str(self.private_league),
            "race_id": str(self.race),
            "driver_id": str(self.driver),
            "notification_id": str(self.alice_note),
            "filename": "css/app.css",
            "season": "2024",
            "round": "14",
            "constructor": "mercedes",
            "constructor_id": str(self.constructor),
            "username": self.alice.username,
            "user_id": str(self.alice.id),
            "subscription_id": str(self.push_subscription),
            "size": "192",
            "game_name": "grand_prix",
            "chip": "extra_boost",
        }


@pytest.fixture
async def world(season: int, make_user: Callable[..., Awaitable[User]]) -> World:
    alice, bob = await make_user("alice"), await make_user("bob")
    cheap = ("bortoleto", "albon", "hadjar", "lawson", "doohan")
    refs = {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=cheap)}
    ids = [refs[r] for r in cheap]
    alice_team = await create_team(owner=alice, name="Alice GP", driver_ids=ids, captain_id=ids[0])
    bob_team = await create_team(owner=bob, name="Bob GP", driver_ids=ids, captain_id=ids[0])
    league = await create_league(
        owner=alice, name="Alice friends", is_public=False, team_id=alice_team.id
    )
    note = await Notification.create(
        user=alice,
        type=NotificationType.LEAGUE_JOINED,
        title="Joined",
        body="Alice GP joined",
        data={},
        dedup_key="walk:1",
    )
    race = await Race.get(season_id=season, round=1)
    constructor = (await Driver.get(id=ids[0])).constructor_id or 0
    subscription = await PushSubscription.create(
        user=alice, endpoint="https://push.example/alice", p256dh="k", auth="a"
    )
    return World(
        alice,
        bob,
        alice_team.id,
        bob_team.id,
        league.id,
        note.id,
        race.id,
        ids[0],
        constructor,
        subscription.id,
    )


def path_of(rule: Rule, params: dict[str, str]) -> str:
    names = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule)
    missing = [n for n in names if n not in params]
    assert not missing, f"add {missing} to World.params() so the walk covers {rule.rule}"
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: params[m.group(1)], rule.rule)


def routes(app: Quart) -> list[tuple[str, Rule]]:
    """Return (method, rule) for every HTTP route and method of the app."""
    return [
        (method, rule)
        for rule in app.url_map.iter_rules()
        if not rule.websocket
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


class Caller:
    """Requests as one kind of caller: anonymous, or a user by bearer token and session."""

    def __init__(self, app: Quart, user: User | None, headers: Callable[[User], dict[str, str]]):
        self.client = app.test_client()
        self.user = user
        self.bearer = headers(user) if user else {}
        self.csrf: dict[str, str] = {}

    async def start(self) -> Caller:
        if self.user is not None:
            async with self.client.session_transaction() as session:
                session["sid"] = await create_session(user=self.user, days=1)
                session["csrf"] = "walk-csrf-token"
            self.csrf = {"X-CSRF-Token": "walk-csrf-token"}
        return self

    async def send(self, method: str, rule: Rule, world: World) -> Any:
        path = path_of(rule, world.params())
        api = path.startswith("/api/")
        headers = {**(self.bearer if api else self.csrf)}
        body = BODIES.get((method, rule.rule), lambda w: {})(world) if method in UNSAFE else None
        if api and body is not None:
            return await self.client.open(path, method=method, json=body, headers=headers)
        if body is not None:
            return await self.client.open(path, method=method, form={}, headers=headers)
        return await self.client.open(path, method=method, headers=headers)


@pytest.fixture
async def callers(
    app: Quart, world: World, auth_headers: Callable[[User], dict[str, str]]
) -> dict[str, Caller]:
    return {
        "anonymous": await Caller(app, None, auth_headers).start(),
        "bob": await Caller(app, world.bob, auth_headers).start(),
    }


def is_admin_route(rule: Rule) -> bool:
    return rule.rule.startswith(("/admin", "/api/v1/admin"))


async def test_no_route_fails_with_a_server_error(
    app: Quart, world: World, callers: dict[str, Caller]
) -> None:
    walked = routes(app)
    assert len(walked) > 60 and any(r.rule.startswith("/api/v1/admin") for _, r in walked)
    failures = []
    for who, caller in callers.items():
        for method, rule in walked:
            response = await caller.send(method, rule, world)
            if response.status_code >= 500:
                failures.append(f"{who} {method} {rule.rule}: {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_anonymous_cannot_change_anything_through_the_api(
    app: Quart, world: World, callers: dict[str, Caller]
) -> None:
    wrong = []
    for method, rule in routes(app):
        if method not in UNSAFE or not rule.rule.startswith("/api/"):
            continue
        if rule.rule in PUBLIC_API_WRITES:
            continue
        response = await callers["anonymous"].send(method, rule, world)
        if response.status_code != 401:
            wrong.append(f"{method} {rule.rule}: {response.status_code}")
        else:
            assert (await response.get_json())["error"]["code"] == "unauthorized"
    assert not wrong, "\n".join(wrong)


async def test_anonymous_pages_that_change_things_refuse(
    app: Quart, world: World, callers: dict[str, Caller]
) -> None:
    wrong = []
    for method, rule in routes(app):
        if method in UNSAFE and not rule.rule.startswith("/api/"):
            response = await callers["anonymous"].send(method, rule, world)
            # No CSRF secret, no session: refused (403) or sent to log in (303).
            if response.status_code not in (303, 403):
                wrong.append(f"{method} {rule.rule}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


async def test_admin_routes_refuse_non_admins(
    app: Quart, world: World, callers: dict[str, Caller]
) -> None:
    admin_routes = [(m, r) for m, r in routes(app) if is_admin_route(r)]
    assert len(admin_routes) >= 6
    wrong = []
    for method, rule in admin_routes:
        response = await callers["bob"].send(method, rule, world)
        if response.status_code != 403:
            wrong.append(f"bob {method} {rule.rule}: {response.status_code}")
        anonymous = await callers["anonymous"].send(method, rule, world)
        expected = 401 if rule.rule.startswith("/api/") else 303
        if method in UNSAFE and not rule.rule.startswith("/api/"):
            expected = 403  # the CSRF check answers before the login redirect
        if anonymous.status_code != expected:
            wrong.append(f"anonymous {method} {rule.rule}: {anonymous.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("method", "rule", "statuses"),
    [
        ("GET", "/api/v1/leagues/<int:league_id>", {404}),
        ("GET", "/api/v1/leagues/<int:league_id>/leaderboard", {404}),
        ("GET", "/leagues/<int:league_id>", {404}),
        ("POST", "/api/v1/leagues/<int:league_id>/join", {403, 404}),
        ("DELETE", "/api/v1/leagues/<int:league_id>/teams/<int:team_id>", {403, 404}),
        ("PUT", "/api/v1/teams/<int:team_id>", {403}),
        ("POST", "/teams/<int:team_id>", {403}),
        ("POST", "/api/v1/notifications/<int:notification_id>/read", {404}),
        ("POST", "/notifications/<int:notification_id>/read", {404}),
        ("POST", "/leagues/<int:league_id>/teams/<int:team_id>/remove", {403, 404}),
        ("DELETE", "/api/v1/push/subscriptions/<int:subscription_id>", {404}),
    ],
)
async def test_another_user_cannot_see_or_touch_alices_things(
    app: Quart, world: World, callers: dict[str, Caller], method: str, rule: str, statuses: set[int]
) -> None:
    found = next(r for m, r in routes(app) if r.rule == rule and m == method)
    response = await callers["bob"].send(method, found, world)
    assert response.status_code in statuses, (await response.get_data())[:300]
    team = await Team.get(id=world.alice_team)
    assert team.name == "Alice GP"
    note = await Notification.get(id=world.alice_note)
    assert note.read_at is None
    assert await PushSubscription.exists(id=world.push_subscription)


async def test_another_user_sees_no_private_lineup(
    app: Quart, world: World, callers: dict[str, Caller]
) -> None:
    rule = next(r for m, r in routes(app) if r.rule == "/api/v1/teams/<int:team_id>")
    body = await (await callers["bob"].send("GET", rule, world)).get_json()
    assert body["name"] == "Alice GP"
    assert "drivers" not in body and "captain_id" not in body

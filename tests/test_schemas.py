"""Every list endpoint of the OpenAPI document pages by `limit` and `offset`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, SINGAPORE, SINGAPORE_LOCK, World
from webapp.models import Notification, NotificationType, User
from webapp.pipeline import rescore_race
from webapp.schemas import MAX_LIMIT

Headers = Callable[[User], dict[str, str]]


@pytest.fixture
async def world(db: None, redis: Any) -> World:
    """Return a season where every list the API serves has at least two entries."""
    world = await World.create()
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    olivia = await world.user("olivia")
    await world.user("oliver")
    saved = BELGIUM_LOCK - timedelta(days=1)
    teams = [await world.team(name, owner=olivia) for name in ("Alpha", "Bravo")]
    for team in teams:
        await world.lineup(team, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=saved)
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=belgium.id)
    await rescore_race(race_id=singapore.id)
    for name in ("Paddock Club", "Pit Wall"):
        await world.league(name, owner=olivia, teams=teams, public=True)
    for n in range(3):
        await Notification.create(
            user=olivia,
            type=NotificationType.LEAGUE_JOINED,
            title=f"Note {n}",
            body="",
            dedup_key=f"note:{n}",
        )
    return world


def _schema(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def list_routes(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return the GET routes of the document whose answer is `{items, total}`."""
    found = []
    for path, operations in doc["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema and {"items", "total"} <= set(_schema(doc, schema).get("properties", {})):
            found.append((path, operations["get"]))
    return found


async def test_every_list_route_honours_limit_and_offset(
    client: TestClientProtocol, world: World, auth_headers: Headers
) -> None:
    olivia = await User.get(username="olivia")
    doc = await (await client.get("/openapi.json")).get_json()
    routes = list_routes(doc)
    team_id = (await olivia.teams.all().order_by("id").first()).id  # type: ignore[union-attr]
    league_id = (await olivia.owned_leagues.all().order_by("id").first()).id  # type: ignore[union-attr]
    values = {"team_id": team_id, "league_id": league_id, "q": "oli"}
    headers = auth_headers(olivia)
    walked = []
    for path, operation in routes:
        params = {p["name"]: p for p in operation.get("parameters", [])}
        url = path.format(**{name: values[name] for name in params if params[name]["in"] == "path"})
        # quart-schema marks no parameter required; a query parameter without a default is.
        query = {
            name: values[name]
            for name, p in params.items()
            if p["in"] == "query" and "default" not in p["schema"]
        }
        whole = await client.get(
            url, query_string={**query, "limit": MAX_LIMIT + 1}, headers=headers
        )
        assert whole.status_code == 200, (path, await whole.get_data())
        # A limit past the maximum is clamped, not refused.
        everything = await whole.get_json()
        assert everything["total"] >= 2, f"{path}: the test season needs two entries here"
        paged = await client.get(
            url, query_string={**query, "limit": 1, "offset": 1}, headers=headers
        )
        assert paged.status_code == 200, (path, await paged.get_data())
        page = await paged.get_json()
        assert page["items"] == everything["items"][1:2], path
        assert page["total"] == everything["total"], path
        walked.append(path)
    # The walk reaches the endpoints api.md lists, not only those that happen to page today.
    assert {"/api/v1/drivers", "/api/v1/races", "/api/v1/users/me/teams"} <= set(walked)


def test_every_api_model_has_a_name_of_its_own() -> None:
    """The OpenAPI document names its schemas by class: two models of one name would
    silently become one, and clients would validate answers against the wrong one."""
    from webapp.app import create_app
    from webapp.schemas import ApiModel

    create_app()  # imports every blueprint and so every model

    def every(cls: type[ApiModel]) -> list[type[ApiModel]]:
        return [m for sub in cls.__subclasses__() for m in (sub, *every(sub))]

    names: dict[str, list[str]] = {}
    for model in every(ApiModel):
        names.setdefault(model.__name__, []).append(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: where for name, where in names.items() if len(set(where)) > 1}
    assert clashes == {}

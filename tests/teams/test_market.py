"""The Grand Prix market through the API: the bank, transfers and their penalty, chips.

Races of the bundled season are scheduled; the app's clock is set between their locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Driver, Lineup, Race, Team, TeamChip, TeamRaceScore, User
from webapp.settings import Settings

from ..live.servers import serving

Headers = Callable[[User], dict[str, str]]
MakeUser = Callable[..., Awaitable[User]]


class Market:
    """A Grand Prix team of Alice's and helpers to move the clock and call the API."""

    def __init__(
        self, app: Quart, client: TestClientProtocol, headers: dict[str, str], races: list[Race]
    ) -> None:
        self.app, self.client, self.headers, self.races = app, client, headers, races
        self.team_id = 0

    def before(self, round_: int) -> datetime:
        """Set the clock an hour before a round's lock; return that time."""
        at = self.races[round_ - 1].lock_at - timedelta(hours=1)
        self.app.config["CLOCK"] = lambda: at
        return at

    async def call(self, method: str, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
        response = await self.client.open(
            f"/api/v1/teams/{self.team_id}{path}",
            method=method,
            json=body or None,
            headers=self.headers,
        )
        return response.status_code, await response.get_json()

    async def lineup(self) -> dict[str, Any]:
        status, body = await self.call("GET", "/lineup")
        assert status == 200, body
        market: dict[str, Any] = body["market"]
        return market

    async def save(self, **body: Any) -> tuple[int, dict[str, Any]]:
        return await self.call("PUT", "/lineup", **body)

    async def chip(self, method: str, name: str) -> tuple[int, dict[str, Any]]:
        return await self.call(method, f"/chips/{name}")

    async def lineups(self) -> int:
        return await Lineup.filter(team_id=self.team_id).count()

    async def score(self, round_: int) -> None:
        """Give the team a score for a round, as rescoring would once it had results."""
        lineup = await Lineup.filter(team_id=self.team_id).order_by("-id").first()
        assert lineup is not None
        await TeamRaceScore.create(
            team_id=self.team_id,
            race_id=self.races[round_ - 1].id,
            scoring_system="grand_prix",
            lineup_id=lineup.id,
            points=10,
        )


@pytest.fixture
async def market(
    app: Quart,
    client: TestClientProtocol,
    make_user: MakeUser,
    auth_headers: Headers,
    season: int,
    cheap: list[int],
    constructor_prices: dict[str, int],
) -> Market:
    alice = await make_user("alice")
    races = list(await Race.filter(season_id=season).order_by("round"))
    state = Market(app, client, auth_headers(alice), races)
    state.before(1)
    response = await client.post(
        "/api/v1/teams",
        json={
            "name": "Traders",
            "driver_ids": cheap,
            "captain_id": cheap[0],
            "game": "grand_prix",
            "constructor_ids": [constructor_prices["alpine"], constructor_prices["haas"]],
        },
        headers=state.headers,
    )
    assert response.status_code == 201, await response.get_json()
    state.team_id = (await response.get_json())["id"]
    return state


async def dearer(season: int, *, than: list[int], count: int) -> list[int]:
    """Return drivers of the season not in `than`, cheapest first."""
    rows = await Driver.filter(season_id=season).exclude(id__in=than).order_by("price", "id")
    return [d.id for d in rows[:count]]


async def test_a_new_team_has_the_bank_left_and_every_change_free(
    market: Market, cheap: list[int], season: int
) -> None:
    # Five drivers at 42.0 and constructors at 10.0 and 13.0 leave 35.0 of 100.0.
    shown = await market.lineup()
    assert shown["bank"] == 35.0 and shown["team_value"] == 100.0
    assert shown["free_transfers"] is None and shown["transfers_left"] is None
    assert shown["race_id"] == market.races[0].id and shown["penalty_points"] == 0
    states = {c["name"]: c["state"] for c in shown["chips"]}
    assert states == {
        "extra_boost": "available",
        "wildcard": "not_available",
        "limitless": "not_available",
        "no_negative": "available",
        "autopilot": "available",
    }
    # Before the first lock a new lineup is bought afresh: swapping all five is free.
    others = await dearer(season, than=cheap, count=5)
    status, body = await market.save(driver_ids=others, captain_id=others[0])
    assert status == 200, body
    assert body["market"]["transfers"] == 0 and body["market"]["penalty_points"] == 0


async def test_transfers_after_the_first_lock_count_against_the_scored_lineup(
    market: Market, cheap: list[int], season: int
) -> None:
    market.before(2)
    spare = await dearer(season, than=cheap, count=5)
    # Two in: two of the three free transfers.
    status, body = await market.save(driver_ids=[*spare[:2], *cheap[2:]], captain_id=cheap[2])
    assert status == 200, body
    shown = body["market"]
    assert (shown["free_transfers"], shown["transfers"], shown["transfers_left"]) == (3, 2, 1)
    assert shown["penalty_points"] == 0
    # Net: one of them back out and in again costs nothing more; four in costs one extra.
    status, body = await market.save(driver_ids=[*spare[:4], cheap[4]], captain_id=cheap[4])
    assert status == 200, body
    assert (body["market"]["transfers"], body["market"]["penalty_points"]) == (4, -10)
    saved = await Lineup.filter(team_id=market.team_id).order_by("-id").first()
    assert saved is not None
    assert (saved.race_id, saved.transfers, saved.free_transfers, saved.penalty_points) == (
        market.races[1].id,
        4,
        3,
        -10,
    )
    # Back to the lineup that scored: no transfer at all.
    status, body = await market.save(driver_ids=cheap, captain_id=cheap[0])
    assert (body["market"]["transfers"], body["market"]["penalty_points"]) == (0, 0)
    assert body["market"]["bank"] == 35.0


async def test_one_unused_free_transfer_carries_over(
    market: Market, cheap: list[int], season: int, constructor_prices: dict[str, int]
) -> None:
    spare = await dearer(season, than=cheap, count=6)
    market.before(2)
    await market.save(driver_ids=[spare[0], *cheap[1:]], captain_id=cheap[1])
    # Two of three unused for round 2: one carries, so round 3 has four.
    market.before(3)
    shown = await market.lineup()
    assert (shown["free_transfers"], shown["transfers_left"]) == (4, 4)
    cars = [constructor_prices["alpine"], constructor_prices["aston_martin"]]  # 13.0 out, 11.0 in
    status, body = await market.save(
        driver_ids=spare[:5], captain_id=spare[1], constructor_ids=cars
    )
    assert status == 200, body
    # Four drivers and a constructor in against round 2's lineup: one past the four free.
    assert (body["market"]["transfers"], body["market"]["penalty_points"]) == (5, -10)
    # Round 3 used all four: round 4 starts again at three.
    market.before(4)
    assert (await market.lineup())["free_transfers"] == 3


async def test_the_bank_never_goes_below_zero(
    market: Market, cheap: list[int], season: int
) -> None:
    market.before(2)
    dearest = [d.id for d in await Driver.filter(season_id=season).order_by("-price").limit(2)]
    before = await market.lineups()
    # 35.0 in the bank, two cheap drivers sold, 30.0 and 28.8 to pay.
    status, body = await market.save(driver_ids=[*dearest, *cheap[2:]], captain_id=cheap[2])
    assert status == 422, body
    assert body["error"]["code"] == "insufficient_bank"
    assert "bank" in body["error"]["message"] and "below 0" in body["error"]["message"]
    assert await market.lineups() == before


async def test_chips_once_a_season_one_a_race_until_the_lock(market: Market) -> None:
    status, body = await market.chip("POST", "extra_boost")
    assert status == 200, body
    assert body["market"]["chip"] == "extra_boost"
    # Two tabs: another chip for the same race is refused, naming the rule.
    status, body = await market.chip("POST", "no_negative")
    assert (status, body["error"]["code"]) == (422, "one_chip_per_race")
    assert "Extra Boost" in body["error"]["message"]
    status, body = await market.chip("POST", "wildcard")
    assert (status, body["error"]["code"]) == (422, "chip_not_available")
    assert "first scored race" in body["error"]["message"]
    # Cancelled before the lock: another one may be played.
    assert (await market.chip("DELETE", "extra_boost"))[0] == 200
    assert (await market.chip("POST", "no_negative"))[0] == 200
    market.before(2)
    status, body = await market.chip("DELETE", "no_negative")
    assert (status, body["error"]["code"]) == (422, "chip_locked")
    status, body = await market.chip("POST", "no_negative")
    assert (status, body["error"]["code"]) == (422, "chip_used")
    assert "once a season" in body["error"]["message"]
    states = {c["name"]: c["state"] for c in (await market.lineup())["chips"]}
    assert states["no_negative"] == "used" and states["extra_boost"] == "available"
    assert await TeamChip.filter(team_id=market.team_id).count() == 1
    status, body = await market.chip("POST", "no_such_chip")
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_a_wildcard_makes_this_races_transfers_free(
    market: Market, cheap: list[int], season: int
) -> None:
    await market.score(1)
    market.before(2)
    spare = await dearer(season, than=cheap, count=5)
    status, body = await market.save(driver_ids=spare, captain_id=spare[0])
    assert (body["market"]["transfers"], body["market"]["penalty_points"]) == (5, -20)
    status, body = await market.chip("POST", "wildcard")
    assert status == 200, body
    assert body["market"]["penalty_points"] == 0
    # Cancelled, the penalty is back.
    status, body = await market.chip("DELETE", "wildcard")
    assert body["market"]["penalty_points"] == -20


async def test_limitless_lifts_the_bank_for_one_race_then_reverts(
    market: Market, cheap: list[int], season: int
) -> None:
    await market.score(1)
    market.before(2)
    dear = [d.id for d in await Driver.filter(season_id=season).order_by("-price", "id").limit(5)]
    assert (await market.save(driver_ids=dear, captain_id=dear[0]))[1]["error"]["code"] == (
        "insufficient_bank"
    )
    assert (await market.chip("POST", "limitless"))[0] == 200
    status, body = await market.save(driver_ids=dear, captain_id=dear[0])
    assert status == 200, body
    assert body["market"]["bank"] < 0 and body["market"]["penalty_points"] == 0
    # The lineup needs the chip: cancelling it would take the bank below 0.
    status, body = await market.chip("DELETE", "limitless")
    assert (status, body["error"]["code"]) == (422, "insufficient_bank")
    # After the race the team holds the lineup and bank it had before.
    market.before(3)
    status, body = await market.call("GET", "/lineup")
    assert sorted(d["id"] for d in body["drivers"]) == sorted(cheap)
    assert body["market"]["bank"] == 35.0 and body["market"]["free_transfers"] == 4


async def test_a_classic_team_has_no_market(
    client: TestClientProtocol, make_user: MakeUser, auth_headers: Headers, cheap: list[int]
) -> None:
    bob = await make_user("bob")
    response = await client.post(
        "/api/v1/teams",
        json={"name": "Classic", "driver_ids": cheap, "captain_id": cheap[0]},
        headers=auth_headers(bob),
    )
    team = (await response.get_json())["id"]
    body = await (
        await client.get(f"/api/v1/teams/{team}/lineup", headers=auth_headers(bob))
    ).get_json()
    assert body["market"] is None and body["game"] == "classic"
    response = await client.post(
        f"/api/v1/teams/{team}/chips/extra_boost", headers=auth_headers(bob)
    )
    assert response.status_code == 422
    assert (await response.get_json())["error"]["code"] == "chip_not_available"


async def test_only_the_owner_sees_and_plays(
    market: Market, make_user: MakeUser, auth_headers: Headers
) -> None:
    mallory = auth_headers(await make_user("mallory"))
    for method, path in (("GET", "/lineup"), ("POST", "/chips/extra_boost")):
        response = await market.client.open(
            f"/api/v1/teams/{market.team_id}{path}", method=method, headers=mallory
        )
        assert response.status_code == 403
    assert await TeamChip.filter(team_id=market.team_id).count() == 0


@pytest.fixture
async def served(migrated: Settings, market: Market) -> AsyncIterator[str]:
    """Serve the app with Hypercorn on 127.0.0.1, its clock before round 1; yield its URL."""
    from webapp.app import create_app

    app = create_app(migrated)
    at = market.races[0].lock_at - timedelta(hours=1)
    app.config["CLOCK"] = lambda: at
    async with serving(app) as base:
        yield base


@pytest.mark.parametrize("repeat", range(3))
async def test_two_tabs_playing_two_chips_cannot_both_succeed(
    repeat: int, served: str, market: Market
) -> None:
    url = f"{served}/api/v1/teams/{market.team_id}/chips"
    async with httpx.AsyncClient(headers=market.headers, timeout=30) as http:
        for first, second in (("extra_boost", "no_negative"), ("autopilot", "extra_boost")):
            answers = await asyncio.gather(
                http.post(f"{url}/{first}"), http.post(f"{url}/{second}")
            )
            codes = sorted(
                "ok" if r.status_code == 200 else r.json()["error"]["code"] for r in answers
            )
            assert codes == ["ok", "one_chip_per_race"]
            assert await TeamChip.filter(team_id=market.team_id).count() == 1
            played = await TeamChip.get(team_id=market.team_id)
            assert (await http.delete(f"{url}/{played.chip}")).status_code == 200


async def test_the_team_value_moves_with_prices(market: Market, cheap: list[int]) -> None:
    driver = await Driver.get(id=cheap[0])
    driver.price = Decimal(driver.price) + Decimal("2.0")  # type: ignore[assignment]
    await driver.save(update_fields=["price"])
    shown = await market.lineup()
    assert shown["bank"] == 35.0 and shown["team_value"] == 102.0
    # Selling it now returns today's price.
    market.before(2)
    spare = await dearer(market.races[0].season_id, than=cheap, count=1)
    status, body = await market.save(driver_ids=[spare[0], *cheap[1:]], captain_id=cheap[1])
    assert status == 200, body
    price = (await Driver.get(id=spare[0])).price
    assert body["market"]["bank"] == float(Decimal("35.0") + Decimal(driver.price) - price)
    assert await Team.exists(id=market.team_id)

"""The catalogue API and the home page show the loaded season."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol

from webapp.models import Season


async def test_drivers_have_prices_and_constructors(
    client: TestClientProtocol, season: int
) -> None:
    body = await (await client.get("/api/v1/drivers")).get_json()
    assert body["total"] == len(body["items"]) >= 20
    verstappen = next(d for d in body["items"] if d["ref"] == "max_verstappen")
    assert verstappen["code"] == "VER"
    assert verstappen["number"] == 1 or verstappen["number"] == 33
    assert isinstance(verstappen["price"], float)
    assert verstappen["constructor"]["ref"] == "red_bull"


async def test_races_times_are_utc_with_z(client: TestClientProtocol, season: int) -> None:
    body = await (await client.get(f"/api/v1/races?season={season}")).get_json()
    assert body["total"] == 24
    first = body["items"][0]
    assert first["round"] == 1
    assert first["starts_at"].endswith("Z") and first["lock_at"].endswith("Z")
    assert first["lock_at"] < first["starts_at"]
    one = await (await client.get(f"/api/v1/races/{first['id']}")).get_json()
    assert one == first


async def test_constructors(client: TestClientProtocol, season: int) -> None:
    body = await (await client.get("/api/v1/constructors")).get_json()
    assert {c["ref"] for c in body["items"]} >= {"ferrari", "mclaren", "red_bull"}
    assert all(c["season"] == season for c in body["items"])
    # Priced as the bundled season ships them, for the games whose lineups hold constructors.
    prices = {c["ref"]: c["price"] for c in body["items"]}
    assert (prices["mclaren"], prices["red_bull"], prices["sauber"]) == (30.0, 25.2, 8.4)


async def test_the_season_setting_picks_the_current_season(
    app: Quart, client: TestClientProtocol, season: int
) -> None:
    await Season.create(year=2019, name="2019")
    app.config["SETTINGS"] = app.config["SETTINGS"].model_copy(update={"season": 2019})
    body = await (await client.get("/api/v1/constructors")).get_json()
    assert body["items"] == []  # 2019 holds no constructors, the later loaded season does
    app.config["SETTINGS"] = app.config["SETTINGS"].model_copy(update={"season": None})
    body = await (await client.get("/api/v1/constructors")).get_json()
    assert body["items"] and all(c["season"] == season for c in body["items"])

"""The replay feed answers the Ergast paths with only what has happened on the game's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webapp.replay.routes import PREFIX, final_after
from webapp.replay.timeline import RESULTS_AFTER
from webapp.results.feed import FeedClient
from webapp.settings import Settings

SPA = "/2024/14/results.json"
SPA_START = datetime(2024, 7, 28, 13, 0, tzinfo=UTC)
SHANGHAI_SPRINT = datetime(2024, 4, 20, 3, 0, tzinfo=UTC)
SHANGHAI_QUALIFYING = datetime(2024, 4, 20, 7, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


async def fetch(client: Any, path: str, status: int = 200) -> dict[str, Any]:
    """GET a replay feed path and return its JSON, checking the status."""
    response = await client.get(f"{PREFIX}{path}")
    assert response.status_code == status, await response.get_data()
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = await response.get_json()
    return body


def winner(doc: dict[str, Any]) -> str:
    """Return the driver classified first in a results document."""
    result = doc["MRData"]["RaceTable"]["Races"][0]["Results"][0]
    assert result["position"] == "1"
    return str(result["Driver"]["driverId"])


def spa_final_at(settings: Settings) -> datetime:
    """Return when Spa's final classification comes out with the settings' offsets."""
    return SPA_START + RESULTS_AFTER + final_after(settings.verify_offsets_hours)


async def test_calendar_and_entries_are_out_before_the_season(client, manual_clock):
    manual_clock.at = datetime(2023, 12, 1, tzinfo=UTC)

    calendar = (await fetch(client, "/2024/races.json?limit=100"))["MRData"]
    drivers = (await fetch(client, "/2024/drivers.json"))["MRData"]
    teams = (await fetch(client, "/2024/constructors.json"))["MRData"]
    haas = (await fetch(client, "/2024/constructors/haas/drivers.json"))["MRData"]

    assert calendar["total"] == "24"
    spa = calendar["RaceTable"]["Races"][13]
    assert (spa["raceName"], spa["date"], spa["time"]) == (
        "Belgian Grand Prix",
        "2024-07-28",
        "13:00:00Z",
    )
    assert spa["Qualifying"] == {"date": "2024-07-27", "time": "14:00:00Z"}
    assert drivers["total"] == "24" and len(drivers["DriverTable"]["Drivers"]) == 24
    assert teams["total"] == "10"
    assert {d["driverId"] for d in haas["DriverTable"]["Drivers"]} == {
        "bearman",
        "hulkenberg",
        "kevin_magnussen",
    }


async def test_a_race_shows_nothing_then_the_road_order_then_the_final_one(
    client, manual_clock, migrated
):
    manual_clock.at = SPA_START + RESULTS_AFTER - SECOND
    before = (await fetch(client, SPA))["MRData"]
    assert (before["total"], before["RaceTable"]["Races"]) == ("0", [])

    manual_clock.at = SPA_START + RESULTS_AFTER
    provisional = await fetch(client, SPA)
    assert provisional["MRData"]["total"] == "20"
    assert winner(provisional) == "russell"

    manual_clock.at = spa_final_at(migrated) - SECOND
    assert winner(await fetch(client, SPA)) == "russell"

    manual_clock.at = spa_final_at(migrated)
    final = await fetch(client, f"{SPA}?limit=100")
    assert winner(final) == "hamilton"
    rows = {r["Driver"]["driverId"]: r for r in final["MRData"]["RaceTable"]["Races"][0]["Results"]}
    assert (rows["russell"]["positionText"], rows["russell"]["points"]) == ("D", "0")
    assert rows["russell"]["status"] == "Disqualified"


async def test_a_race_without_a_road_order_comes_out_final(client, manual_clock):
    start = datetime(2024, 3, 2, 15, 0, tzinfo=UTC)
    manual_clock.at = start + RESULTS_AFTER
    assert winner(await fetch(client, "/2024/1/results.json")) == "max_verstappen"


async def test_the_final_order_follows_the_first_verification_check(migrated, manual_clock, redis):
    from webapp.app import create_app

    later = migrated.model_copy(update={"verify_offsets_hours": [30.0, 5.0]})
    app = create_app(later)
    async with app.test_app():
        client = app.test_client()
        manual_clock.at = SPA_START + RESULTS_AFTER + timedelta(hours=5) - SECOND
        assert winner(await fetch(client, SPA)) == "russell"
        manual_clock.at = SPA_START + RESULTS_AFTER + timedelta(hours=5)
        assert winner(await fetch(client, SPA)) == "hamilton"


async def test_sprint_and_qualifying_come_out_after_their_sessions(client, manual_clock):
    manual_clock.at = SHANGHAI_SPRINT + RESULTS_AFTER - SECOND
    assert (await fetch(client, "/2024/5/sprint.json"))["MRData"]["total"] == "0"
    manual_clock.at = SHANGHAI_SPRINT + RESULTS_AFTER
    sprint = await fetch(client, "/2024/5/sprint.json")
    assert sprint["MRData"]["RaceTable"]["Races"][0]["SprintResults"][0]["Driver"]["driverId"] == (
        "max_verstappen"
    )
    assert (await fetch(client, "/2024/5/qualifying.json"))["MRData"]["total"] == "0"

    manual_clock.at = SHANGHAI_QUALIFYING + RESULTS_AFTER
    qualifying = await fetch(client, "/2024/5/qualifying.json")
    assert qualifying["MRData"]["total"] == "20"
    lines = qualifying["MRData"]["RaceTable"]["Races"][0]["QualifyingResults"]
    first = lines[0]
    assert (first["position"], first["Driver"]["driverId"]) == ("1", "max_verstappen")
    # Each part's lap time where the driver set one, as the feed gives them.
    assert (first["Q1"], first["Q2"], first["Q3"]) == ("1:34.742", "1:33.794", "1:33.660")
    gasly, zhou = lines[14], lines[15]
    assert (gasly["Driver"]["driverId"], "Q2" in gasly, "Q3" in gasly) == ("gasly", True, False)
    assert (zhou["Driver"]["driverId"], "Q1" in zhou, "Q2" in zhou) == ("zhou", True, False)
    # The sprint's own grid and its fastest lap, read from the sprint's lap times.
    winner_line = sprint["MRData"]["RaceTable"]["Races"][0]["SprintResults"][0]
    assert (winner_line["grid"], winner_line["FastestLap"]) == ("4", {"rank": "1"})
    # The race itself is a day later.
    assert (await fetch(client, "/2024/5/results.json"))["MRData"]["total"] == "0"


async def test_pages_like_the_feed(client, manual_clock):
    manual_clock.at = SPA_START + timedelta(days=30)

    default = (await fetch(client, SPA))["MRData"]
    assert (default["limit"], default["offset"], default["total"]) == ("30", "0", "20")
    assert len(default["RaceTable"]["Races"][0]["Results"]) == 20

    page = (await fetch(client, f"{SPA}?limit=7&offset=14"))["MRData"]
    positions = [r["position"] for r in page["RaceTable"]["Races"][0]["Results"]]
    assert (page["limit"], page["offset"], page["total"]) == ("7", "14", "20")
    assert positions == ["15", "16", "17", "18", "19", "20"]

    past = (await fetch(client, f"{SPA}?offset=20"))["MRData"]
    assert (past["total"], past["RaceTable"]["Races"]) == ("20", [])

    capped = (await fetch(client, "/2024/races.json?limit=500"))["MRData"]
    assert (capped["limit"], len(capped["RaceTable"]["Races"])) == ("100", 24)

    drivers = (await fetch(client, "/2024/drivers.json?limit=10&offset=20"))["MRData"]
    assert (drivers["total"], len(drivers["DriverTable"]["Drivers"])) == ("24", 4)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("limit=-5", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("limit=10&offset=99999999999", "offset"),
    ],
)
async def test_a_bad_page_is_refused_naming_the_field(client, manual_clock, query, field):
    body = await fetch(client, f"{SPA}?{query}", status=422)
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["details"]["fields"]) == [field]
    assert field in body["error"]["message"]


async def test_a_season_not_bundled_with_results_is_not_found(client):
    body = await fetch(client, "/2025/races.json", status=404)
    assert body["error"]["code"] == "not_found"
    assert "2025" in body["error"]["message"]


async def test_sprint_qualifying_is_named_as_the_feed_named_it(client):
    races_2023 = (await fetch(client, "/2023/races.json"))["MRData"]["RaceTable"]["Races"]
    races_2024 = (await fetch(client, "/2024/races.json"))["MRData"]["RaceTable"]["Races"]
    assert any("SprintShootout" in r for r in races_2023)
    assert not any("SprintQualifying" in r for r in races_2023)
    assert any("SprintQualifying" in r for r in races_2024)


async def test_the_apps_feed_client_reads_the_replay_over_http(
    replay_client: FeedClient, manual_clock, migrated
):
    manual_clock.at = SPA_START - timedelta(days=1)

    races = await replay_client.races(2024)
    drivers = await replay_client.drivers(2024)
    teams = await replay_client.constructors(2024)
    mercedes = await replay_client.constructor_drivers(2024, "mercedes")
    assert [r.round for r in races] == list(range(1, 25))
    assert races[13].starts_at == SPA_START and races[4].sprint_qualifying is not None
    assert len(drivers) == 24 and len(teams) == 10
    assert {d.driverId for d in mercedes} == {"hamilton", "russell"}
    assert await replay_client.results(2024, 14) is None

    manual_clock.at = SPA_START + RESULTS_AFTER
    provisional = await replay_client.results(2024, 14)
    assert provisional is not None and len(provisional.Results) == 20
    assert provisional.Results[0].Driver.driverId == "russell"

    manual_clock.at = spa_final_at(migrated)
    final = await replay_client.results(2024, 14)
    assert final is not None and len(final.Results) == 20
    assert [r.Driver.driverId for r in final.Results[:2]] == ["hamilton", "piastri"]
    russell = next(r for r in final.Results if r.Driver.driverId == "russell")
    assert (russell.positionText, russell.points) == ("D", 0)

    sprint = await replay_client.sprint(2024, 6)
    qualifying = await replay_client.qualifying(2024, 14)
    assert sprint is not None and len(sprint.SprintResults) > 0
    assert qualifying is not None and qualifying.QualifyingResults[0].Driver.driverId == (
        "max_verstappen"
    )
    assert await replay_client.sprint(2024, 14) is None


async def test_the_client_reads_every_page_of_a_long_listing(
    replay_settings: Settings, redis, manual_clock, monkeypatch
):
    # Pages of 8 rows: one race spans three answers, the drivers three more.
    from webapp.results import feed as feed_module

    manual_clock.at = SPA_START + timedelta(days=30)
    monkeypatch.setattr(feed_module, "PAGE_SIZE", 8)
    async with FeedClient.from_settings(replay_settings, redis=redis) as client:
        race = await client.results(2024, 14)
        drivers = await client.drivers(2024)
    assert race is not None
    assert [r.position for r in race.Results] == list(range(1, 21))
    assert len(drivers) == 24


async def test_a_season_synced_from_the_replay_feed_matches_the_bundle(
    replay_client: FeedClient, manual_clock
):
    from webapp.models import Driver, Race
    from webapp.results.sync import sync_season

    counts = await sync_season(season=2024, client=replay_client)

    assert (counts["races_created"], counts["drivers_created"]) == (24, 24)
    assert counts["constructors_created"] == 10
    spa = await Race.get(season_id=2024, round=14)
    assert (spa.name, spa.starts_at) == ("Belgian Grand Prix", SPA_START)
    hamilton = await Driver.get(season_id=2024, ref="hamilton").prefetch_related("constructor")
    assert (hamilton.number, hamilton.constructor.ref) == (44, "mercedes")
    assert await sync_season(season=2024, client=replay_client) == {k: 0 for k in counts}


async def test_a_poll_of_the_replay_stores_the_whole_sprint_weekend(
    replay_client: FeedClient, manual_clock, migrated, season_2024
):
    from webapp.models import Race, SessionResult
    from webapp.results.polling import poll_race

    race = await Race.get(season_id=2024, round=5)
    manual_clock.at = race.starts_at + RESULTS_AFTER

    outcome = await poll_race(race_id=race.id, client=replay_client, offsets_hours=[2.0])

    assert outcome.outcome == "new_version"
    rows = await SessionResult.filter(race_id=race.id, version=outcome.version).select_related(
        "driver"
    )
    reached = {r.driver.ref: r.reached for r in rows if r.session == "qualifying"}
    assert len(reached) == 20
    assert (reached["max_verstappen"], reached["gasly"], reached["zhou"]) == (3, 2, 1)
    sprint = {r.driver.ref: r for r in rows if r.session == "sprint"}
    assert len(sprint) == 20
    assert (sprint["max_verstappen"].grid, sprint["max_verstappen"].fastest_lap_rank) == (4, 1)

"""A race weekend's qualifying and sprint, polled from the fake feed into the race's version."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from webapp.models import (
    Race,
    RaceDriverScore,
    RaceResult,
    ResultVersion,
    SessionResult,
    TeamRaceScore,
)
from webapp.results.feed import FeedClient
from webapp.results.manual import ManualItem, enter_results
from webapp.results.polling import poll_race

from .conftest import OFFSETS, FakeFeed, load_fixture

RESULTS = "/2025/1/results.json"
QUALIFYING = "/2025/1/qualifying.json"
SPRINT = "/2025/1/sprint.json"


async def poll(race: Race, client: FeedClient, *, after: timedelta = timedelta(hours=2)) -> Any:
    return await poll_race(
        race_id=race.id, client=client, offsets_hours=OFFSETS, now=race.starts_at + after
    )


async def session_rows(race: Race, version: int, session: str) -> dict[str, dict[str, Any]]:
    rows = (
        await SessionResult.filter(race_id=race.id, version=version, session=session)
        .select_related("driver")
        .order_by("id")
    )
    return {
        r.driver.ref: {
            "position": r.position,
            "position_text": r.position_text,
            "grid": r.grid,
            "fastest_lap_rank": r.fastest_lap_rank,
            "reached": r.reached,
            "disqualified": r.disqualified,
        }
        for r in rows
    }


def qualifying_doc() -> dict[str, Any]:
    return load_fixture("2025/1/qualifying.json")


def sprint_doc() -> dict[str, Any]:
    """Return a sprint classification shaped like the feed's: lap times but no ranks."""
    doc = load_fixture("2025/1/results.json")
    race = doc["MRData"]["RaceTable"]["Races"][0]
    rows = race.pop("Results")[:8]
    for i, row in enumerate(rows):
        row["FastestLap"] = {"lap": "10", "Time": {"time": f"1:2{9 - i}.500"}}
    rows[7]["positionText"], rows[7]["status"] = "R", "Retired"
    del rows[7]["FastestLap"]
    race["SprintResults"] = rows
    doc["MRData"]["total"] = str(len(rows))
    return doc


async def test_qualifying_is_stored_with_the_race_in_one_version(
    feed: FakeFeed, feed_client, race_one, players
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.serve(QUALIFYING, qualifying_doc())

    outcome = await poll(race_one, feed_client)

    assert (outcome.outcome, outcome.version) == ("new_version", 1)
    stored = await session_rows(race_one, 1, "qualifying")
    assert len(stored) == 20
    # The part reached is read from the lap times the feed gives for Q1, Q2 and Q3.
    assert stored["norris"] == {
        "position": 1,
        "position_text": "1",
        "grid": 0,
        "fastest_lap_rank": None,
        "reached": 3,
        "disqualified": False,
    }
    assert {ref: stored[ref]["reached"] for ref in ("sainz", "hadjar", "antonelli", "bearman")} == {
        "sainz": 3,
        "hadjar": 2,
        "antonelli": 1,
        "bearman": 0,
    }
    assert await SessionResult.filter(race_id=race_one.id, session="sprint").count() == 0
    # Round 1 is no sprint weekend: the sprint is not asked for.
    assert feed.hits(SPRINT) == 0


async def test_a_qualifying_only_correction_makes_a_new_version_and_rescores(
    feed: FakeFeed, feed_client, race_one, players
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.serve(QUALIFYING, qualifying_doc())
    await poll(race_one, feed_client)
    assert await TeamRaceScore.filter(race_id=race_one.id).count() == 3
    assert set(
        await RaceDriverScore.filter(race_id=race_one.id).values_list("result_version", flat=True)
    ) == {1}

    corrected = qualifying_doc()
    lines = corrected["MRData"]["RaceTable"]["Races"][0]["QualifyingResults"]
    del lines[3]["Q3"]  # Russell's Q3 lap deleted; he is still ranked among the Q3 cars
    del lines[19]["Driver"]["code"]  # a change the stored rows do not hold
    lines[18]["Q1"] = ""  # Ocon's only lap deleted: no time in Q1
    feed.serve(QUALIFYING, corrected)
    outcome = await poll(race_one, feed_client, after=timedelta(hours=3))

    assert (outcome.outcome, outcome.version) == ("new_version", 2)
    version = await ResultVersion.get(race_id=race_one.id, version=2)
    assert version.diff == {"ocon": {"qualifying.reached": [1, 0]}}
    assert (await session_rows(race_one, 2, "qualifying"))["russell"]["reached"] == 3
    # The race's rows come along unchanged in the new version, and every team is rescored.
    assert await RaceResult.filter(race_id=race_one.id, version=2).count() == 20
    assert await TeamRaceScore.filter(race_id=race_one.id).count() == 3
    assert set(
        await RaceDriverScore.filter(race_id=race_one.id).values_list("result_version", flat=True)
    ) == {2}

    again = await poll(race_one, feed_client, after=timedelta(hours=4))
    assert (again.outcome, again.version) == ("unchanged", 2)


async def test_a_malformed_qualifying_page_stores_nothing(
    feed: FakeFeed, feed_client, race_one, players
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    bad = qualifying_doc()
    bad["MRData"]["RaceTable"]["Races"][0]["QualifyingResults"][3]["position"] = "fourth"
    feed.serve(QUALIFYING, bad)

    outcome = await poll(race_one, feed_client)

    assert (outcome.outcome, outcome.ok, outcome.version) == ("malformed", False, 0)
    assert "QualifyingResults.3.position" in outcome.error
    assert await ResultVersion.filter(race_id=race_one.id).count() == 0
    assert await RaceResult.filter(race_id=race_one.id).count() == 0
    assert await SessionResult.filter(race_id=race_one.id).count() == 0
    assert await TeamRaceScore.filter(race_id=race_one.id).count() == 0
    assert (await Race.get(id=race_one.id)).results_version == 0


async def test_an_incoherent_qualifying_is_rejected_whole(feed: FakeFeed, feed_client, race_one):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    twice = qualifying_doc()
    lines = twice["MRData"]["RaceTable"]["Races"][0]["QualifyingResults"]
    lines[5]["Driver"] = copy.deepcopy(lines[4]["Driver"])
    feed.serve(QUALIFYING, twice)

    outcome = await poll(race_one, feed_client)

    assert outcome.outcome == "invalid"
    assert "qualifying[5].driver" in outcome.error
    assert await ResultVersion.filter(race_id=race_one.id).count() == 0


async def test_qualifying_missing_from_the_feed_comes_in_a_later_version(
    feed: FakeFeed, feed_client, race_one, players
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    first = await poll(race_one, feed_client)
    assert (first.outcome, first.version) == ("new_version", 1)
    assert await SessionResult.filter(race_id=race_one.id).count() == 0

    feed.serve(QUALIFYING, qualifying_doc())
    later = await poll(race_one, feed_client, after=timedelta(hours=3))

    assert (later.outcome, later.version) == ("new_version", 2)
    assert len(await session_rows(race_one, 2, "qualifying")) == 20
    version = await ResultVersion.get(race_id=race_one.id, version=2)
    assert version.diff["norris"] == {"qualifying": ["absent", "present"]}

    # A feed that loses the session again does not wipe it.
    del feed.docs[QUALIFYING]
    gone = await poll(race_one, feed_client, after=timedelta(hours=4))
    assert (gone.outcome, gone.version) == ("unchanged", 2)


async def test_a_sprint_weekend_stores_the_sprint(feed: FakeFeed, feed_client, race_one, players):
    race_one.sprint_at = race_one.starts_at - timedelta(days=1)
    await race_one.save(update_fields=["sprint_at"])
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.serve(QUALIFYING, qualifying_doc())
    feed.serve(SPRINT, sprint_doc())

    outcome = await poll(race_one, feed_client)

    assert outcome.outcome == "new_version"
    sprint = await session_rows(race_one, 1, "sprint")
    assert list(sprint) == [
        "norris", "max_verstappen", "russell", "antonelli",
        "albon", "stroll", "hulkenberg", "leclerc",
    ]  # fmt: skip
    # No ranks in the feed: the fastest lap is the shortest lap time.
    assert sprint["hulkenberg"]["fastest_lap_rank"] == 1
    assert sprint["norris"] == {
        "position": 1,
        "position_text": "1",
        "grid": 1,
        "fastest_lap_rank": 7,
        "reached": 0,
        "disqualified": False,
    }
    assert sprint["leclerc"]["position"] is None and sprint["leclerc"]["position_text"] == "R"

    # A sprint-only correction (a disqualification) makes a new version too.
    corrected = sprint_doc()
    row = corrected["MRData"]["RaceTable"]["Races"][0]["SprintResults"][2]
    row["positionText"], row["status"] = "D", "Disqualified"
    for later in corrected["MRData"]["RaceTable"]["Races"][0]["SprintResults"][3:7]:
        later["positionText"] = str(int(later["positionText"]) - 1)
    feed.serve(SPRINT, corrected)
    again = await poll(race_one, feed_client, after=timedelta(hours=3))

    assert (again.outcome, again.version) == ("new_version", 2)
    assert (await session_rows(race_one, 2, "sprint"))["russell"]["disqualified"] is True
    diff = (await ResultVersion.get(race_id=race_one.id, version=2)).diff
    assert diff["russell"] == {"sprint.position_text": ["3", "D"]}
    assert set(diff) == {"russell", "antonelli", "albon", "stroll", "hulkenberg"}


async def test_an_admin_result_keeps_the_weekend_sessions(
    feed: FakeFeed, feed_client, race_one, players, make_user
):
    from .conftest import admin_items

    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.serve(QUALIFYING, qualifying_doc())
    await poll(race_one, feed_client)
    admin = await make_user(username="steward", is_admin=True)
    items = await admin_items("2025/1/results_corrected.json")

    outcome = await enter_results(
        race_id=race_one.id, items=[ManualItem(**i) for i in items], admin_id=admin.id
    )

    assert outcome.stored.created and outcome.stored.version == 2
    assert await session_rows(race_one, 2, "qualifying") == await session_rows(
        race_one, 1, "qualifying"
    )


async def test_a_driver_only_qualifying_lists_joins_the_season(
    feed: FakeFeed, feed_client, race_one, players
):
    from webapp.models import Driver

    feed.serve_fixture(RESULTS, "2025/1/results.json")
    doc = qualifying_doc()
    lines = doc["MRData"]["RaceTable"]["Races"][0]["QualifyingResults"]
    reserve = copy.deepcopy(lines[-1])
    reserve["position"] = "21"
    reserve["Driver"] = {
        "driverId": "reserve",
        "code": "RES",
        "givenName": "Reserve",
        "familyName": "Driver",
        "nationality": "British",
    }
    reserve.pop("Q1", None)
    lines.append(reserve)
    doc["MRData"]["total"] = "21"
    feed.serve(QUALIFYING, doc)

    outcome = await poll(race_one, feed_client)

    assert outcome.outcome == "new_version"
    stored = await session_rows(race_one, 1, "qualifying")
    assert stored["reserve"]["reached"] == 0 and stored["reserve"]["position"] == 21
    driver = await Driver.get(season_id=race_one.season_id, ref="reserve")
    assert (driver.first_name, driver.last_name) == ("Reserve", "Driver")

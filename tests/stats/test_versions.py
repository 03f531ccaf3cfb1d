"""A race's results versions and their diff, as data."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from quart.typing import TestClientProtocol

from tests.scoring.factories import BELGIUM, BELGIUM_LOCK, World
from tests.stats.conftest import Corrected
from webapp.errors import AppError
from webapp.models import Notification, RaceResult, RaceStatus, TeamRaceScore, User
from webapp.pipeline import rescore_race
from webapp.redis import get_redis
from webapp.stats.versions import TEAM_DIFFS, compare_versions, race_timeline


async def test_timeline_labels_each_version_and_the_final_call(corrected: Corrected) -> None:
    timeline = await race_timeline(race_id=corrected.race.id)
    assert [(e.label, e.version) for e in timeline.entries] == [("provisional", 1), ("revised", 2)]

    race = corrected.race
    race.status, race.finalised_at = RaceStatus.FINAL, datetime(2099, 1, 1, tzinfo=UTC)
    await race.save()
    timeline = await race_timeline(race_id=race.id)
    assert [(e.label, e.version) for e in timeline.entries][-1] == ("final", 2)
    assert timeline.versions == [1, 2]


async def test_diff_names_each_changed_driver_and_field(corrected: Corrected) -> None:
    diff = await compare_versions(race_id=corrected.race.id)
    assert diff is not None and (diff.old, diff.new) == (1, 2)
    changes = {
        item.driver.code: {c.name: (c.old, c.new) for c in item.changes} for item in diff.drivers
    }
    assert changes["RUS"] == {
        "position_text": ("1", "D"),
        "status": ("Finished", "Disqualified"),
    }
    assert changes["HAM"] == {"position_text": ("2", "1")}
    # Retired in both: not a change.
    assert "ZHO" not in changes
    # The new winner first: the diff is in the new version's order.
    assert diff.drivers[0].driver.code == "HAM"
    assert diff.teams == []


async def test_my_team_points_before_and_after_match_the_notification(
    corrected: Corrected,
) -> None:
    diff = await compare_versions(race_id=corrected.race.id, user_id=corrected.alice.id)
    assert diff is not None
    [team] = diff.teams
    # Before: RUS P1 25 + fastest lap 5, doubled, HAM 18, PIA 15, RIC P11 0, ZHO out.
    # After: RUS disqualified 0 (no bonus), HAM 25, PIA 18, RIC P10 1.
    assert (team.team_name, team.before, team.after) == ("Alpha", 93, 44)
    assert sorted(d.code for d in team.touched) == ["HAM", "PIA", "RIC", "RUS"]
    stored = await TeamRaceScore.get(team_id=corrected.alpha.id, race_id=corrected.race.id)
    assert stored.points == team.after
    note = await Notification.get(user_id=corrected.alice.id, type="results_changed")
    assert (note.data["old_points"], note.data["new_points"]) == (team.before, team.after)
    assert note.data["url"] == f"/races/{corrected.race.id}/versions?to=2"


async def test_versions_compare_either_way_and_refuse_unknown_ones(corrected: Corrected) -> None:
    back = await compare_versions(race_id=corrected.race.id, old=2, new=1)
    assert back is not None
    rus = next(item for item in back.drivers if item.driver.code == "RUS")
    assert (rus.changes[0].old, rus.changes[0].new) == ("D", "1")
    with pytest.raises(AppError) as error:
        await compare_versions(race_id=corrected.race.id, new=7)
    assert (error.value.code, error.value.field) == ("validation_error", "to")
    with pytest.raises(AppError) as error:
        await compare_versions(race_id=corrected.race.id, old=2, new=2)
    assert error.value.field == "from"


async def test_one_version_has_nothing_to_compare(world: World) -> None:
    race = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    await world.results(race, BELGIUM)
    assert await compare_versions(race_id=race.id) is None
    assert [e.label for e in (await race_timeline(race_id=race.id)).entries] == ["provisional"]
    with pytest.raises(AppError) as error:
        await race_timeline(race_id=race.id + 100)
    assert error.value.status == 404


async def test_a_rewritten_version_is_compared_afresh_after_its_rescoring(
    corrected: Corrected,
) -> None:
    first = await compare_versions(race_id=corrected.race.id)
    assert first is not None and "ZHO" not in {i.driver.code for i in first.drivers}
    # A replay started over stores version 2 anew, differently (Zhou now classified 12th).
    zhou = corrected.world.drivers["ZHO"].id
    await RaceResult.filter(race_id=corrected.race.id, version=2, driver_id=zhou).update(
        position_text="12", status="Finished"
    )
    await rescore_race(race_id=corrected.race.id)
    again = await compare_versions(race_id=corrected.race.id)
    assert again is not None
    changes = {i.driver.code: {c.name: (c.old, c.new) for c in i.changes} for i in again.drivers}
    assert changes["ZHO"]["position_text"][1] == "12"


async def test_versions_api_lists_and_compares(
    client: TestClientProtocol,
    corrected: Corrected,
    auth_headers: Callable[[User], dict[str, str]],
) -> None:
    race = corrected.race.id
    listed = await (await client.get(f"/api/v1/races/{race}/versions")).get_json()
    assert (listed["status"], listed["results_version"]) == ("provisional", 2)
    assert [(i["version"], i["label"]) for i in listed["items"]] == [
        (1, "provisional"),
        (2, "revised"),
    ]
    assert listed["items"][0]["at"].endswith("Z")
    anonymous = await (await client.get(f"/api/v1/races/{race}/versions/diff")).get_json()
    assert (anonymous["from_version"], anonymous["to_version"], anonymous["teams"]) == (1, 2, [])
    russell = next(i for i in anonymous["items"] if i["driver"]["code"] == "RUS")
    assert russell["changes"] == [
        {"session": "race", "field": "position_text", "old": "1", "new": "D"},
        {"session": "race", "field": "status", "old": "Finished", "new": "Disqualified"},
    ]
    mine = await client.get(
        f"/api/v1/races/{race}/versions/diff?from=2&to=1", headers=auth_headers(corrected.alice)
    )
    [team] = (await mine.get_json())["teams"]
    assert (team["name"], team["old_points"], team["new_points"]) == ("Alpha", 44, 93)
    bad = await client.get(f"/api/v1/races/{race}/versions/diff?from=0")
    assert (bad.status_code, (await bad.get_json())["error"]["code"]) == (422, "validation_error")
    unknown = await client.get(f"/api/v1/races/{race}/versions/diff?to=9")
    assert unknown.status_code == 422
    assert (await unknown.get_json())["error"]["details"] == {
        "fields": {"to": "No version 9 of these results"}
    }


async def test_my_teams_part_is_worked_out_once_per_pair_and_team(corrected: Corrected) -> None:
    race, alice = corrected.race, corrected.alice
    # A second team of Alice's without a lineup for the race: scored nowhere, listed nowhere.
    idle = await corrected.world.team("Idle", owner=alice)
    first = await compare_versions(race_id=race.id, user_id=alice.id)
    assert first is not None and [t.team_name for t in first.teams] == ["Alpha"]
    redis = get_redis()
    kept = await redis.get(TEAM_DIFFS.key(race.id, 1, 2, corrected.alpha.id).redis_key)
    assert kept is not None
    stamp, _, payload = kept.partition("\n")
    assert json.loads(payload) == first.teams[0].dump()
    assert await redis.get(TEAM_DIFFS.key(race.id, 1, 2, idle.id).redis_key) == stamp + "\nnull"
    # The next read takes the kept change as it is: shown altered, it was not worked out again.
    altered = {**json.loads(payload), "after": 999}
    await redis.set(
        TEAM_DIFFS.key(race.id, 1, 2, corrected.alpha.id).redis_key,
        stamp + "\n" + json.dumps(altered),
    )
    again = await compare_versions(race_id=race.id, user_id=alice.id)
    assert again is not None and again.teams[0].after == 999
    assert again.teams[0].assets == first.teams[0].assets
    assert [d.code for d in again.teams[0].touched] == [d.code for d in first.teams[0].touched]
    # A rescoring moves the board generation: the change is worked out again.
    await rescore_race(race_id=race.id)
    fresh = await compare_versions(race_id=race.id, user_id=alice.id)
    assert fresh is not None and fresh.teams[0].dump() == first.teams[0].dump()

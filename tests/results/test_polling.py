"""Polling a race from the fake feed: first results, corrections, repeats and failures."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from tortoise import connections

from webapp.events import race_channel, season_channel, user_channel
from webapp.models import (
    Driver,
    FeedPoll,
    Notification,
    Race,
    RaceResult,
    RaceStatus,
    ResultVersion,
    Team,
)
from webapp.results.feed import FeedClient
from webapp.results.polling import close_abandoned_polls, poll_race

from .conftest import OFFSETS, FakeFeed, Players

RESULTS = "/2025/1/results.json"
QUALIFYING = "/2025/1/qualifying.json"


async def poll(race: Race, client: FeedClient, *, after: timedelta = timedelta(hours=2)) -> Any:
    return await poll_race(
        race_id=race.id, client=client, offsets_hours=OFFSETS, now=race.starts_at + after
    )


async def points(players: Players) -> dict[str, int]:
    teams = {t.id: t.points for t in await Team.all()}
    return {name: teams[getattr(players, name).id] for name in ("alice", "bob", "carol")}


async def notes(type_: str) -> list[tuple[int, dict[str, Any]]]:
    rows = await Notification.filter(type=type_).order_by("user_id")
    return [(n.user_id, n.data) for n in rows]  # type: ignore[attr-defined]


async def test_first_results_score_every_team(feed: FakeFeed, feed_client, race_one, players):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    outcome = await poll(race_one, feed_client)

    assert (outcome.outcome, outcome.ok, outcome.version) == ("new_version", True, 1)
    assert await points(players) == {"alice": 72, "bob": 61, "carol": 0}
    race = await Race.get(id=race_one.id)
    assert race.status == RaceStatus.PROVISIONAL and race.results_version == 1
    assert await RaceResult.filter(race_id=race.id, version=1).count() == 20
    published = await notes("results_published")
    expected = [
        (players.alice.owner_id, {"race_id": race.id, "team_id": players.alice.id, "points": 72}),  # type: ignore[attr-defined]
        (players.bob.owner_id, {"race_id": race.id, "team_id": players.bob.id, "points": 61}),  # type: ignore[attr-defined]
        (players.carol.owner_id, {"race_id": race.id, "team_id": players.carol.id, "points": 0}),  # type: ignore[attr-defined]
    ]
    assert published == expected
    note = await Notification.get(user_id=players.alice.owner_id)  # type: ignore[attr-defined]
    assert "72 points" in note.body and "Australian Grand Prix" in note.body
    poll_row = await FeedPoll.get(race_id=race.id)
    assert poll_row.ok and poll_row.outcome == "new_version" and poll_row.finished_at


async def test_the_same_payload_twice_makes_one_version(feed, feed_client, race_one, players):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    first = await poll(race_one, feed_client)
    second = await poll(race_one, feed_client, after=timedelta(hours=3))

    assert first.outcome == "new_version" and second.outcome == "unchanged"
    assert await ResultVersion.filter(race_id=race_one.id).count() == 1
    assert await RaceResult.filter(race_id=race_one.id).count() == 20
    assert await Notification.all().count() == 3
    assert await FeedPoll.filter(race_id=race_one.id, ok=True).count() == 2


async def test_disqualified_winner_rescores_and_notifies_the_affected(
    feed, feed_client, race_one, players, redis: Redis
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll(race_one, feed_client)
    pubsub = redis.pubsub()
    users = [t.owner_id for t in (players.alice, players.bob, players.carol)]  # type: ignore[attr-defined]
    await pubsub.subscribe(
        race_channel(race_one.id), season_channel(2025), *[user_channel(u) for u in users]
    )

    feed.serve_fixture(RESULTS, "2025/1/results_corrected.json")
    outcome = await poll(race_one, feed_client, after=timedelta(hours=3))

    assert (outcome.outcome, outcome.version) == ("new_version", 2)
    assert await points(players) == {"alice": 17, "bob": 80, "carol": 0}
    changed = await notes("results_changed")
    race_id = race_one.id
    assert changed == [
        (
            users[0],
            {
                "race_id": race_id,
                "team_id": players.alice.id,
                "old_points": 72,
                "new_points": 17,
                "url": f"/races/{race_id}/versions?to=2",
            },
        ),
        (
            users[1],
            {
                "race_id": race_id,
                "team_id": players.bob.id,
                "old_points": 61,
                "new_points": 80,
                "url": f"/races/{race_id}/versions?to=2",
            },
        ),
    ]
    # The first version is kept, and the change is recorded driver by driver.
    assert await RaceResult.filter(race_id=race_id, version=1).count() == 20
    v2 = await ResultVersion.get(race_id=race_id, version=2)
    assert v2.diff["norris"]["position_text"] == ["1", "D"]
    assert v2.diff["max_verstappen"]["position_text"] == ["2", "1"]
    assert "sainz" not in v2.diff

    channels = set()
    # Subscription confirmations come first and read as None; the events follow at once.
    for _ in range(12):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None:
            continue
        channels.add(message["channel"])
        if message["channel"] == race_channel(race_id):
            assert json.loads(message["data"])["version"] == 2
    await pubsub.aclose()
    assert channels == {
        race_channel(race_id),
        season_channel(2025),
        user_channel(users[0]),
        user_channel(users[1]),
    }


async def test_an_admin_correction_holds_until_the_feed_changes(feed, feed_client, race_one):
    from webapp.models import ResultSource
    from webapp.pipeline import store_results
    from webapp.results.feed_models import RaceEnvelope
    from webapp.results.rows import ResultSet, from_feed

    doc = feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll(race_one, feed_client)
    corrected = RaceEnvelope.model_validate(load("2025/1/results_corrected.json"))
    rows = from_feed(corrected.MRData.RaceTable.Races[0])
    await store_results(
        race_id=race_one.id, results=ResultSet(rows.rows, {}, {}), source=ResultSource.MANUAL
    )
    assert (await Race.get(id=race_one.id)).results_version == 2

    again = await poll(race_one, feed_client, after=timedelta(hours=3))
    assert again.outcome == "unchanged" and again.version == 2
    assert doc  # the feed still serves its first answer


def load(name: str) -> dict[str, Any]:
    from .conftest import load_fixture

    return load_fixture(name)


def truncated() -> dict[str, Any]:
    doc = load("2025/1/results.json")
    del doc["MRData"]["RaceTable"]["Races"][0]["Results"][15:]
    doc["MRData"]["limit"] = "100"
    return doc


def missing_field() -> dict[str, Any]:
    doc = load("2025/1/results.json")
    del doc["MRData"]["RaceTable"]["Races"][0]["Results"][4]["Driver"]
    return doc


def not_a_number() -> dict[str, Any]:
    doc = load("2025/1/results.json")
    doc["MRData"]["RaceTable"]["Races"][0]["Results"][7]["laps"] = "fifty-seven"
    return doc


def two_winners() -> dict[str, Any]:
    doc = load("2025/1/results.json")
    doc["MRData"]["RaceTable"]["Races"][0]["Results"][1]["positionText"] = "1"
    return doc


FAILURES = {
    "server_error": ({"status": 500, "body": "Internal Server Error"}, "unavailable"),
    "rate_limited": ({"status": 429, "headers": {"Retry-After": "2"}}, "rate_limited"),
    "timeout": ({"hang": True}, "timeout"),
    "not_json": ({"body": "<html>maintenance</html>"}, "malformed"),
    "truncated": ({"body": truncated()}, "malformed"),
    "missing_field": ({"body": missing_field()}, "malformed"),
    "not_a_number": ({"body": not_a_number()}, "malformed"),
}


@pytest.mark.parametrize("kind", list(FAILURES))
async def test_bad_answers_write_nothing_and_the_next_poll_recovers(
    kind, feed, feed_client, race_one, players, sleeps
):
    reply, expected = FAILURES[kind]
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    feed.script(RESULTS, *[copy.deepcopy(reply)] * 3)

    failed = await poll(race_one, feed_client)

    assert (failed.ok, failed.outcome) == (False, expected)
    assert await ResultVersion.all().count() == 0
    assert await RaceResult.all().count() == 0
    assert await Notification.all().count() == 0
    assert await points(players) == {"alice": 0, "bob": 0, "carol": 0}
    race = await Race.get(id=race_one.id)
    assert race.results_version == 0 and race.status == RaceStatus.SCHEDULED
    attempt = await FeedPoll.get(race_id=race.id)
    assert not attempt.ok and attempt.outcome == expected and attempt.error
    if kind == "rate_limited":
        assert 2.0 in sleeps

    recovered = await poll(race_one, feed_client, after=timedelta(hours=2, minutes=5))

    assert (recovered.ok, recovered.outcome, recovered.version) == (True, "new_version", 1)
    assert await points(players) == {"alice": 72, "bob": 61, "carol": 0}


async def test_rows_that_contradict_each_other_write_nothing(feed, feed_client, race_one):
    feed.serve(RESULTS, two_winners())

    outcome = await poll(race_one, feed_client)

    assert (outcome.ok, outcome.outcome) == (False, "invalid")
    assert "classified positions" in outcome.error
    assert await ResultVersion.all().count() == 0


async def test_a_failure_while_rescoring_rolls_back_the_results(
    feed, feed_client, race_one, players
):
    conn = connections.get("default")
    await conn.execute_script(
        """
        CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
        CREATE TRIGGER test_refuse BEFORE INSERT ON team_race_scores
        FOR EACH ROW EXECUTE FUNCTION test_refuse();
        """
    )
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    try:
        with pytest.raises(Exception, match="disk full"):
            await poll(race_one, feed_client)
    finally:
        await conn.execute_script(
            "DROP TRIGGER test_refuse ON team_race_scores; DROP FUNCTION test_refuse();"
        )
    assert await ResultVersion.all().count() == 0
    assert await RaceResult.all().count() == 0
    assert (await Race.get(id=race_one.id)).results_version == 0

    recovered = await poll(race_one, feed_client, after=timedelta(hours=2, minutes=5))
    assert recovered.outcome == "new_version"
    assert await points(players) == {"alice": 72, "bob": 61, "carol": 0}


async def test_unknown_drivers_and_constructors_are_created(feed, feed_client, race_one):
    doc = load("2025/1/results.json")
    row = doc["MRData"]["RaceTable"]["Races"][0]["Results"][19]
    row["Driver"] = {
        "driverId": "newcomer",
        "permanentNumber": "99",
        "code": "NEW",
        "givenName": "Nova",
        "familyName": "Comer",
        "nationality": "Nowhere",
    }
    row["Constructor"] = {"constructorId": "upstart", "name": "Upstart GP", "nationality": "X"}
    feed.serve(RESULTS, doc)

    outcome = await poll(race_one, feed_client)

    assert outcome.outcome == "new_version"
    newcomer = await Driver.get(ref="newcomer").select_related("constructor")
    assert newcomer.constructor.ref == "upstart" and newcomer.code == "NEW"
    cheapest = min(d.price for d in await Driver.exclude(ref="newcomer"))
    assert newcomer.price == cheapest


async def test_verification_ends_with_a_final_race(feed, feed_client, race_one, players):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll(race_one, feed_client)

    early = await poll(race_one, feed_client, after=timedelta(hours=2 + 167))
    assert not early.finalised
    last = await poll(race_one, feed_client, after=timedelta(hours=2 + 168))

    assert last.finalised
    race = await Race.get(id=race_one.id)
    assert race.status == RaceStatus.FINAL and race.finalised_at is not None


async def test_polls_of_one_race_at_once_store_one_version(feed, feed_client, race_one, players):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    outcomes = await asyncio.gather(*(poll(race_one, feed_client) for _ in range(4)))

    assert sorted(o.outcome for o in outcomes) == ["new_version"] + ["unchanged"] * 3
    assert await ResultVersion.all().count() == 1
    assert await Notification.all().count() == 3


async def test_the_scheduled_round_polls_only_races_that_are_due(feed, feed_client, race_one):
    from webapp.results.polling import poll_due_races

    feed.serve_fixture(RESULTS, "2025/1/results.json")
    now = race_one.starts_at + timedelta(hours=2)

    first = await poll_due_races(client=feed_client, offsets_hours=OFFSETS, now=now)
    again = await poll_due_races(
        client=feed_client, offsets_hours=OFFSETS, now=now + timedelta(minutes=10)
    )
    check = await poll_due_races(
        client=feed_client, offsets_hours=OFFSETS, now=now + timedelta(hours=2)
    )

    assert [(o.race_id, o.outcome) for o in first] == [(race_one.id, "new_version")]
    assert again == []
    assert [(o.race_id, o.outcome) for o in check] == [(race_one.id, "unchanged")]
    # Each poll asks for the race and its qualifying (round 1 has no sprint).
    assert [path for path, _ in feed.requests] == [RESULTS, QUALIFYING] * 2


async def test_a_scheduled_round_is_skipped_while_another_runs(feed_settings, redis: Redis):
    from webapp.results.commands import POLL_DUE_LOCK, poll_due

    await redis.set(POLL_DUE_LOCK, "another worker")

    assert await poll_due(feed_settings) == []


async def test_paddock_results_poll_command(feed, poll_command, race_one, players):
    feed.serve_fixture(RESULTS, "2025/1/results.json")

    code, output = await poll_command(race_one.id)

    assert code == 0, output
    assert f"race {race_one.id}: new_version (results version 1)" in output
    assert await points(players) == {"alice": 72, "bob": 61, "carol": 0}


async def killed_poll(race: Race, *, started_at: Any) -> FeedPoll:
    """Leave the row a worker killed mid-poll leaves: started, never finished."""
    return await FeedPoll.create(race_id=race.id, started_at=started_at, worker="host-a:4242")


async def test_a_killed_poll_is_closed_as_abandoned_when_its_race_is_polled_again(
    feed: FakeFeed, feed_client, race_one, players
):
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    killed = await killed_poll(race_one, started_at=race_one.starts_at + timedelta(hours=1))

    outcome = await poll(race_one, feed_client, after=timedelta(hours=2))

    assert outcome.outcome == "new_version"
    left = await FeedPoll.get(id=killed.id)
    assert (left.outcome, left.ok) == ("abandoned", False)
    assert left.finished_at == race_one.starts_at + timedelta(hours=2)
    assert left.worker == "host-a:4242"
    assert left.closed_by and left.closed_by != "host-a:4242"  # the worker that polled again
    newest = await FeedPoll.filter(race_id=race_one.id).order_by("-id").first()
    assert newest is not None and newest.worker == left.closed_by and newest.ok


async def test_maintenance_closes_only_polls_older_than_the_timeout(race_one):
    now = race_one.starts_at + timedelta(hours=2)
    old = await killed_poll(race_one, started_at=now - timedelta(minutes=6))
    running = await killed_poll(race_one, started_at=now - timedelta(minutes=1))

    closed = await close_abandoned_polls(
        now=now, abandon_after=timedelta(minutes=5), closed_by="host-b:7"
    )

    assert closed == 1
    old_row, running_row = await FeedPoll.get(id=old.id), await FeedPoll.get(id=running.id)
    assert (old_row.outcome, old_row.closed_by, old_row.finished_at) == (
        "abandoned",
        "host-b:7",
        now,
    )
    assert "not finished within 300 s" in old_row.error
    assert running_row.finished_at is None and running_row.outcome == ""
    # Closing again finds nothing more to do.
    assert await close_abandoned_polls(now=now, closed_by="host-b:7") == 0

"""`paddock season sync`: the feed's catalogue over the bundled one, idempotently."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from webapp.catalogue.loader import load_season
from webapp.models import Constructor, Driver, Race, Season
from webapp.results.feed import FeedClient
from webapp.results.sync import sync_season
from webapp.settings import ROOT, Settings

from .conftest import FakeFeed

ENDPOINTS = [
    "races.json",
    "constructors.json",
    "drivers.json",
    "constructors/mclaren/drivers.json",
    "constructors/red_bull/drivers.json",
    "constructors/cadillac/drivers.json",
]


def serve_season(feed: FakeFeed) -> None:
    feed.page_cap = 2  # the calendar and lists span pages, as long ones do on the real feed
    for name in ENDPOINTS:
        feed.serve_fixture(f"/2025/{name}", f"2025/{name}")


async def test_sync_updates_the_bundled_season_from_the_feed(feed, feed_client, season):
    serve_season(feed)
    prices = {d.ref: d.price for d in await Driver.filter(season_id=season)}
    cheapest = min(prices.values())

    counts = await sync_season(season=2025, client=feed_client)

    assert counts["constructors_created"] == 1 and counts["drivers_created"] == 1
    assert counts["races_created"] == 1 and counts["races_updated"] == 1
    australia = await Race.get(season_id=2025, round=1)
    # The feed moved qualifying: its time wins, and the lock follows it.
    assert australia.qualifying_at == datetime(2025, 3, 15, 5, 30, tzinfo=UTC)
    assert australia.lock_at == australia.qualifying_at
    china = await Race.get(season_id=2025, round=2)
    assert china.lock_at == datetime(2025, 3, 21, 7, 30, tzinfo=UTC)  # sprint qualifying
    new_race = await Race.get(season_id=2025, round=25)
    assert new_race.name == "Paddock Test Grand Prix" and new_race.country == "Testland"
    assert new_race.lock_at == new_race.starts_at - timedelta(hours=24)

    herta = await Driver.get(season_id=2025, ref="herta").select_related("constructor")
    assert herta.constructor.ref == "cadillac" and herta.price == cheapest
    assert (herta.code, herta.number, herta.last_name) == ("HER", 98, "Herta")
    assert await Constructor.get(season_id=2025, ref="cadillac")
    # The feed lists Lawson under Red Bull now; his price stays what it was.
    lawson = await Driver.get(season_id=2025, ref="lawson").select_related("constructor")
    assert lawson.constructor.ref == "red_bull" and lawson.price == prices["lawson"]
    assert all(
        d.price == prices[d.ref] for d in await Driver.filter(season_id=2025) if d.ref in prices
    )


async def test_sync_twice_changes_nothing_and_keeps_an_admins_lock(feed, feed_client, season):
    serve_season(feed)
    await sync_season(season=2025, client=feed_client)
    moved = datetime(2025, 3, 21, 6, 0, tzinfo=UTC)
    await Race.filter(season_id=2025, round=2).update(lock_at=moved)

    counts = await sync_season(season=2025, client=feed_client)

    assert set(counts.values()) == {0}
    assert (await Race.get(season_id=2025, round=2)).lock_at == moved


async def test_sync_into_an_empty_database_prices_newcomers_by_default(
    feed, feed_client, db, redis
):
    serve_season(feed)

    counts = await sync_season(season=2025, client=feed_client)

    assert counts["seasons_created"] == 1 and counts["drivers_created"] == 6
    assert {d.price for d in await Driver.all()} == {Decimal("6.0")}


async def test_paddock_season_sync_command(feed, feed_settings: Settings, season) -> None:
    serve_season(feed)
    env = {
        **os.environ,
        "DATABASE_URL": str(feed_settings.database_url),
        "REDIS_URL": str(feed_settings.redis_url),
        "RESULTS_API_URL": feed.url,
        "FEED_RATE_PER_SECOND": "1000",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from webapp.cli import main; main()",
        "season",
        "sync",
        "2025",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()

    assert proc.returncode == 0, output.decode()
    assert "Season 2025 synced" in output.decode()
    lines = output.decode().splitlines()
    assert "feed: calendar and entrants: 3/3" in lines
    drivers = [line for line in lines if line.startswith("drivers: ")]
    assert drivers[0].startswith("drivers: 0/") and drivers[-1].endswith(
        "/" + drivers[-1].split("/")[1]
    )
    count = drivers[-1].split("/")[1]
    assert drivers[-1] == f"drivers: {count}/{count}"
    assert await Driver.filter(ref="herta").exists()


SAME = {
    "season": 2030,
    "name": "2030 Formula 1 World Championship",
    "constructors": [
        {"ref": "mclaren", "name": "McLaren", "nationality": "British"},
        {"ref": "cadillac", "name": "Cadillac F1 Team", "nationality": "American"},
    ],
    "drivers": [
        {
            "ref": "norris",
            "code": "NOR",
            "number": 4,
            "first_name": "Lando",
            "last_name": "Norris",
            "nationality": "British",
            "constructor": "mclaren",
            # The feed has no prices: a newcomer to an empty season costs the default.
            "price": "6.0",
        },
        {
            "ref": "herta",
            "code": "HER",
            "number": 98,
            "first_name": "Colton",
            "last_name": "Herta",
            "nationality": "American",
            "constructor": "cadillac",
            "price": "6.0",
        },
    ],
    "races": [
        {
            "round": 1,
            "name": "Australian Grand Prix",
            "circuit": "Albert Park Grand Prix Circuit",
            "locality": "Melbourne",
            "country": "Australia",
            "starts_at": "2030-03-16T04:00:00Z",
            "qualifying_at": "2030-03-15T05:00:00Z",
        },
        {
            "round": 2,
            "name": "Chinese Grand Prix",
            "circuit": "Shanghai International Circuit",
            "locality": "Shanghai",
            "country": "China",
            "starts_at": "2030-03-23T07:00:00Z",
            "qualifying_at": "2030-03-22T07:00:00Z",
            "sprint_qualifying_at": "2030-03-21T07:30:00Z",
            "sprint_at": "2030-03-22T03:00:00Z",
        },
        {
            "round": 3,
            "name": "Test Grand Prix",
            "circuit": "Test Ring",
            "locality": "Nowhere",
            "country": "Testland",
            "starts_at": "2030-04-06T13:00:00Z",
        },
    ],
}


def _session(at: str) -> dict[str, str]:
    day, time = at.split("T")
    return {"date": day, "time": time}


def _feed_driver(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "driverId": entry["ref"],
        "permanentNumber": str(entry["number"]),
        "code": entry["code"],
        "url": "",
        "givenName": entry["first_name"],
        "familyName": entry["last_name"],
        "nationality": entry["nationality"],
    }


def _feed_race(entry: dict[str, Any]) -> dict[str, Any]:
    race: dict[str, Any] = {
        "season": "2030",
        "round": str(entry["round"]),
        "url": "",
        "raceName": entry["name"],
        "Circuit": {
            "circuitId": entry["circuit"].lower().replace(" ", "_"),
            "url": "",
            "circuitName": entry["circuit"],
            "Location": {"locality": entry["locality"], "country": entry["country"]},
        },
        **_session(entry["starts_at"]),
    }
    for key, name in (
        ("qualifying_at", "Qualifying"),
        ("sprint_qualifying_at", "SprintQualifying"),
        ("sprint_at", "Sprint"),
    ):
        if key in entry:
            race[name] = _session(entry[key])
    return race


def serve_as_feed(feed: FakeFeed, data: dict[str, Any]) -> None:
    """Serve a season file's catalogue the way the feed states it."""
    head = {"xmlns": "", "series": "f1", "url": "", "limit": "30", "offset": "0"}

    def page(table: str, items: str, rows: list[Any], **extra: str) -> dict[str, Any]:
        doc = {table: {"season": "2030", **extra, items: rows}}
        return {"MRData": {**head, "total": str(len(rows)), **doc}}

    teams = [
        {"constructorId": c["ref"], "url": "", "name": c["name"], "nationality": c["nationality"]}
        for c in data["constructors"]
    ]
    feed.serve(
        "/2030/races.json", page("RaceTable", "Races", [_feed_race(r) for r in data["races"]])
    )
    feed.serve("/2030/constructors.json", page("ConstructorTable", "Constructors", teams))
    drivers = [_feed_driver(d) for d in data["drivers"]]
    feed.serve("/2030/drivers.json", page("DriverTable", "Drivers", drivers))
    for team in data["constructors"]:
        listed = [_feed_driver(d) for d in data["drivers"] if d["constructor"] == team["ref"]]
        feed.serve(
            f"/2030/constructors/{team['ref']}/drivers.json",
            page("DriverTable", "Drivers", listed, constructorId=team["ref"]),
        )


DRIVER_COLUMNS = ("ref", "code", "number", "first_name", "last_name", "nationality", "price")
RACE_COLUMNS = (
    *("round", "name", "circuit", "locality", "country", "starts_at", "qualifying_at"),
    *("sprint_qualifying_at", "sprint_at", "lock_at", "status", "results_version"),
)


async def catalogue_rows(year: int) -> dict[str, list[tuple[Any, ...]]]:
    """Return every catalogue column of the season, ids left out, in a stable order."""
    season = await Season.get(year=year)
    races = await Race.filter(season_id=year).order_by("round")
    drivers = await Driver.filter(season_id=year).order_by("ref").select_related("constructor")
    return {
        "season": [(season.year, season.name)],
        "constructors": [
            (c.ref, c.name, c.nationality)
            for c in await Constructor.filter(season_id=year).order_by("ref")
        ],
        "drivers": [
            (*(getattr(d, name) for name in DRIVER_COLUMNS), d.constructor and d.constructor.ref)
            for d in drivers
        ],
        "races": [tuple(getattr(r, name) for name in RACE_COLUMNS) for r in races],
    }


async def test_season_file_and_feed_sync_store_the_same_rows(
    feed: FakeFeed, feed_client: FeedClient, db: None, tmp_path: Path
) -> None:
    path = tmp_path / "season.json"
    path.write_text(json.dumps(SAME), encoding="utf-8")
    serve_as_feed(feed, SAME)

    loaded = await load_season(path=path)
    from_file = await catalogue_rows(2030)
    await Season.filter(year=2030).delete()
    synced = await sync_season(season=2030, client=feed_client)
    from_feed = await catalogue_rows(2030)

    assert from_feed == from_file
    assert loaded == synced
    assert [race[RACE_COLUMNS.index("lock_at")] for race in from_feed["races"]] == [
        datetime(2030, 3, 15, 5, 0, tzinfo=UTC),
        datetime(2030, 3, 21, 7, 30, tzinfo=UTC),
        datetime(2030, 4, 5, 13, 0, tzinfo=UTC),
    ]
    # Either source over the other's rows finds nothing to change.
    assert set((await load_season(path=path)).values()) == {0}
    assert set((await sync_season(season=2030, client=feed_client)).values()) == {0}

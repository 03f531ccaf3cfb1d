"""`paddock season sync`: the feed's catalogue over the bundled one, idempotently."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from webapp.models import Constructor, Driver, Race
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
    assert await Driver.filter(ref="herta").exists()

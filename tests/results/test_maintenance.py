"""Driver statistics from stored results, and the clean-up of expired and old rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from webapp.models import Driver, Notification, NotificationType, Race, RefreshToken
from webapp.results.maintenance import clean_up, update_driver_stats
from webapp.results.manual import ManualItem, enter_results

from .conftest import OFFSETS, FakeFeed

RESULTS = "/2025/1/results.json"


async def enter(season: int, round: int, admin_id: int, *placings: tuple[str, str]) -> None:
    race = await Race.get(season_id=season, round=round)
    ids = {d.ref: d.id for d in await Driver.filter(season_id=season)}
    items = [
        ManualItem(ids[ref], text, 1, 50, "Finished" if text.isdigit() else "Retired", None)
        for ref, text in placings
    ]
    await enter_results(race_id=race.id, items=items, admin_id=admin_id)


async def test_driver_stats_total_average_and_last_three(
    feed: FakeFeed, feed_client, race_one, make_user
) -> None:
    from webapp.results.polling import poll_race

    admin = await make_user(username="steward", is_admin=True)
    feed.serve_fixture(RESULTS, "2025/1/results.json")
    await poll_race(race_id=race_one.id, client=feed_client, offsets_hours=OFFSETS)
    await enter(2025, 2, admin.id, ("max_verstappen", "1"), ("norris", "2"))
    await enter(2025, 3, admin.id, ("norris", "1"))
    await enter(2025, 4, admin.id, ("max_verstappen", "1"), ("norris", "R"))

    changed = await update_driver_stats(season=2025)

    norris = await Driver.get(ref="norris")
    # 30 (win with the fastest lap), 18, 25, 0.
    assert norris.season_points == 73
    assert norris.average_points == Decimal("18.25")
    assert norris.form_points == Decimal("14.33")
    verstappen = await Driver.get(ref="max_verstappen")
    assert (verstappen.season_points, verstappen.form_points) == (68, Decimal("22.67"))
    absent = await Driver.get(ref="doohan")  # retired in round 1, nothing since
    assert (absent.season_points, absent.average_points) == (0, Decimal("0"))
    assert changed >= 2
    assert await update_driver_stats(season=2025) == 0


async def test_cleanup_deletes_expired_tokens_and_old_read_notifications(make_user) -> None:
    alice = await make_user(username="alice")
    now = datetime(2025, 6, 1, tzinfo=UTC)

    async def token(expires: datetime) -> RefreshToken:
        return await RefreshToken.create(
            user=alice, family=uuid.uuid4(), token_hash=uuid.uuid4().hex, expires_at=expires
        )

    await token(now - timedelta(seconds=1))
    live = await token(now + timedelta(days=1))

    async def note(key: str, read_at: datetime | None) -> Notification:
        return await Notification.create(
            user=alice,
            type=NotificationType.RESULTS_PUBLISHED,
            title=key,
            body=key,
            dedup_key=key,
            read_at=read_at,
        )

    await note("old-read", now - timedelta(days=91))
    recent = await note("recent-read", now - timedelta(days=10))
    unread = await note("unread", None)

    report = await clean_up(now=now)

    assert (report.refresh_tokens, report.notifications) == (1, 1)
    assert [t.id for t in await RefreshToken.all()] == [live.id]
    assert sorted(n.id for n in await Notification.all()) == sorted([recent.id, unread.id])

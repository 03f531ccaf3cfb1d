"""A user's notifications: list newest first, count the unread, mark them read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from webapp.errors import AppError
from webapp.models import Notification


@dataclass(frozen=True, slots=True)
class Inbox:
    """A page of a user's notifications, how many match, and how many are unread."""

    items: list[Notification]
    total: int
    unread_count: int


async def list_notifications(
    *, user_id: int, unread: bool = False, limit: int = 50, offset: int = 0
) -> Inbox:
    """Return a page of the user's notifications, newest first, optionally only unread ones."""
    query = Notification.filter(user_id=user_id)
    if unread:
        query = query.filter(read_at__isnull=True)
    items = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
    total = await query.count()
    count = total if unread else await unread_count(user_id=user_id)
    return Inbox(items=items, total=total, unread_count=count)


async def unread_count(*, user_id: int) -> int:
    """Return how many of the user's notifications are unread."""
    return await Notification.filter(user_id=user_id, read_at__isnull=True).count()


async def latest_unread(*, user_id: int, limit: int) -> list[Notification]:
    """Return the user's newest unread notifications, newest first."""
    query = Notification.filter(user_id=user_id, read_at__isnull=True)
    return await query.order_by("-created_at", "-id").limit(limit)


async def mark_read(*, user_id: int, notification_id: int, now: datetime | None = None) -> None:
    """Mark one of the user's notifications read; someone else's is `not_found`."""
    if not await Notification.exists(id=notification_id, user_id=user_id):
        raise AppError.not_found("No such notification")
    await Notification.filter(id=notification_id, user_id=user_id, read_at__isnull=True).update(
        read_at=now or datetime.now(UTC)
    )


async def mark_all_read(*, user_id: int, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    return await Notification.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=now or datetime.now(UTC)
    )

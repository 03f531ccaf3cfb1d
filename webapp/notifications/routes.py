"""Notifications: the JSON API and the `/notifications` page, both over the inbox functions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from quart import Blueprint, Response, render_template, request
from quart_schema import hide, validate_querystring, validate_request, validate_response

from webapp.auth.current import app_settings, current_user, require_user
from webapp.events import Event, publish, user_channel
from webapp.fragments import render_block
from webapp.models import Notification, NotificationType, PushSubscription
from webapp.notifications import inbox, push
from webapp.responses import redirect_to
from webapp.schemas import ApiModel, Page, UtcDatetime

api = Blueprint("notifications_api", __name__)
pages = Blueprint("notifications_pages", __name__)
PAGE_SIZE = 20


class NotificationQuery(Page):
    unread: bool = Field(default=False, description="Only unread notifications")


class NotificationOut(ApiModel):
    id: int
    type: str
    title: str
    body: str
    data: dict[str, Any]
    read: bool
    created_at: UtcDatetime


class NotificationList(ApiModel):
    items: list[NotificationOut]
    total: int
    unread_count: int


def notification_out(note: Notification) -> NotificationOut:
    """Shape one notification for the API."""
    return NotificationOut(
        id=note.id,
        type=str(note.type),
        title=note.title,
        body=note.body,
        data=note.data,
        read=note.read_at is not None,
        created_at=note.created_at,
    )


async def announce_read(user_id: int) -> None:
    """Let the user's other open pages update their unread badge."""
    await publish(user_channel(user_id), {"type": Event.READ, "user_id": user_id})


@api.get("/notifications")
@validate_querystring(NotificationQuery)
@validate_response(NotificationList)
async def list_notifications(query_args: NotificationQuery) -> NotificationList:
    """List the caller's notifications, newest first, with the unread count."""
    user = await require_user()
    found = await inbox.list_notifications(
        user_id=user.id,
        unread=query_args.unread,
        limit=query_args.clamped,
        offset=query_args.offset,
    )
    return NotificationList(
        items=[notification_out(n) for n in found.items],
        total=found.total,
        unread_count=found.unread_count,
    )


@api.post("/notifications/<int:notification_id>/read")
async def read_one(notification_id: int) -> Response:
    """Mark one of the caller's notifications read."""
    user = await require_user()
    await inbox.mark_read(user_id=user.id, notification_id=notification_id)
    await announce_read(user.id)
    return Response(status=204)


@api.post("/notifications/read-all")
async def read_all() -> Response:
    """Mark all of the caller's notifications read."""
    user = await require_user()
    if await inbox.mark_all_read(user_id=user.id):
        await announce_read(user.id)
    return Response(status=204)


PushType = Literal["deadline_soon", "results_published", "results_changed", "rank_changed"]


class PushKeys(ApiModel):
    p256dh: str = Field(min_length=1, max_length=100, description="The browser's P-256 key")
    auth: str = Field(min_length=1, max_length=40, description="The browser's auth secret")


class PushSubscriptionIn(ApiModel):
    endpoint: str = Field(min_length=1, max_length=1000)
    keys: PushKeys


class PushSubscriptionOut(ApiModel):
    id: int
    endpoint: str
    created_at: UtcDatetime


class PushSubscriptionList(ApiModel):
    items: list[PushSubscriptionOut]


class PushPreferencesIn(ApiModel):
    types: list[PushType] = Field(max_length=len(push.PUSH_TYPES))


class PushTypeOut(ApiModel):
    type: str
    label: str
    enabled: bool


class PushSettingsOut(ApiModel):
    public_key: str | None = Field(description="VAPID key for pushManager.subscribe; null: off")
    types: list[PushTypeOut]


def subscription_out(item: PushSubscription) -> PushSubscriptionOut:
    """Shape one push subscription for the API."""
    return PushSubscriptionOut(id=item.id, endpoint=item.endpoint, created_at=item.created_at)


async def push_settings(user_id: int) -> PushSettingsOut:
    """Return the VAPID public key and which types the user has pushed."""
    chosen = set(await push.preferences(user_id=user_id))
    return PushSettingsOut(
        public_key=push.public_key(app_settings()),
        types=[
            PushTypeOut(type=str(kind), label=label, enabled=kind in chosen)
            for kind, label in push.PUSH_TYPES.items()
        ],
    )


@api.get("/push")
@validate_response(PushSettingsOut)
async def get_push_settings() -> PushSettingsOut:
    """Return the VAPID public key and the notification types the caller has pushed."""
    user = await require_user()
    return await push_settings(user.id)


@api.put("/push/preferences")
@validate_request(PushPreferencesIn)
@validate_response(PushSettingsOut)
async def put_push_preferences(data: PushPreferencesIn) -> PushSettingsOut:
    """Choose the notification types pushed to the caller's browsers (the list replaces)."""
    user = await require_user()
    await push.set_preferences(
        user_id=user.id, types=[NotificationType(kind) for kind in data.types]
    )
    return await push_settings(user.id)


@api.get("/push/subscriptions")
@validate_response(PushSubscriptionList)
async def list_push_subscriptions() -> PushSubscriptionList:
    """List the caller's subscribed browsers."""
    user = await require_user()
    return PushSubscriptionList(
        items=[subscription_out(s) for s in await push.subscriptions(user_id=user.id)]
    )


@api.post("/push/subscriptions")
@validate_request(PushSubscriptionIn)
@validate_response(PushSubscriptionOut, 201)
async def add_push_subscription(data: PushSubscriptionIn) -> tuple[PushSubscriptionOut, int]:
    """Store this browser's push subscription (PushSubscription.toJSON()) for the caller."""
    user = await require_user()
    item = await push.subscribe(
        settings=app_settings(),
        user_id=user.id,
        endpoint=data.endpoint,
        p256dh=data.keys.p256dh,
        auth=data.keys.auth,
    )
    return subscription_out(item), 201


@api.delete("/push/subscriptions/<int:subscription_id>")
async def delete_push_subscription(subscription_id: int) -> Response:
    """Forget one of the caller's push subscriptions."""
    user = await require_user()
    await push.unsubscribe(user_id=user.id, subscription_id=subscription_id)
    return Response(status=204)


def wants_fragment() -> bool:
    """Tell whether htmx asked for the list rather than a whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def _wants_unread() -> bool:
    return request.args.get("unread", "") in ("1", "true", "on")


def _offset() -> int:
    raw = request.args.get("offset", "")
    return int(raw) if raw.isdigit() and len(raw) < 9 else 0


async def _page(*, unread: bool, offset: int) -> Response:
    user = await require_user()
    found = await inbox.list_notifications(
        user_id=user.id, unread=unread, limit=PAGE_SIZE, offset=offset
    )
    context = {
        "push": await push_settings(user.id),
        "notifications": found.items,
        "total": found.total,
        "unread_count": found.unread_count,
        "unread": unread,
        "offset": offset,
        "page_size": PAGE_SIZE,
    }
    if wants_fragment():
        # The list, and the nav badge out of band, so both agree at once.
        html = await render_block("notifications/index.html", "inbox", **context)
        html += await render_template("live/_badge.html", count=found.unread_count, oob=True)
        return Response(html)
    return Response(await render_template("notifications/index.html", **context))


@pages.get("/notifications")
@hide
async def notifications_page() -> Response:
    """Show my notifications, newest first; `?unread=1` shows only the unread ones."""
    return await _page(unread=_wants_unread(), offset=_offset())


@pages.post("/notifications/<int:notification_id>/read")
@hide
async def read_one_page(notification_id: int) -> Response:
    """Mark one notification read, then show the list again."""
    user = await require_user()
    await inbox.mark_read(user_id=user.id, notification_id=notification_id)
    await announce_read(user.id)
    return await _after_change()


@pages.post("/notifications/read-all")
@hide
async def read_all_page() -> Response:
    """Mark every notification read, then show the list again."""
    user = await require_user()
    if await inbox.mark_all_read(user_id=user.id):
        await announce_read(user.id)
    return await _after_change()


@pages.post("/notifications/push")
@hide
async def push_preferences_page() -> Response:
    """Save which notification types are pushed, then show the push settings again."""
    user = await require_user()
    form = await request.form
    wanted = [kind for kind in push.PUSH_TYPES if str(kind) in form.getlist("types")]
    await push.set_preferences(user_id=user.id, types=wanted)
    if wants_fragment():
        context = {"push": await push_settings(user.id), "saved": True}
        return Response(await render_block("notifications/index.html", "push_settings", **context))
    return redirect_to("/notifications")


async def _after_change() -> Response:
    unread = _wants_unread()
    if wants_fragment():
        return await _page(unread=unread, offset=_offset())
    return redirect_to("/notifications?unread=1" if unread else "/notifications")


@pages.app_context_processor
async def _unread_badge() -> dict[str, Any]:
    # A function, not a value: only templates that show the badge pay for the count.
    async def unread_badge_count() -> int:
        user = await current_user()
        return await inbox.unread_count(user_id=user.id) if user else 0

    return {"unread_badge_count": unread_badge_count}

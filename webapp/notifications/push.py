"""Web Push: browsers' subscriptions, which notification types each user wants pushed, sending.

A notification is pushed at most once: the sender claims unpushed notifications in one
statement (`pushed_at`), then encrypts and posts each to the subscriptions of its user who
asked for its type. A push service answering 404 or 410 has forgotten the subscription,
so it is dropped. Keys and the signature are pywebpush's (aes128gcm, VAPID).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async
from tortoise import connections
from tortoise.transactions import in_transaction

from webapp.errors import AppError
from webapp.models import NotificationType, PushPreference, PushSubscription
from webapp.settings import Settings

log = logging.getLogger(__name__)

# The types a player may have pushed, in the order the settings list them.
PUSH_TYPES: dict[NotificationType, str] = {
    NotificationType.DEADLINE_SOON: "Deadline reminder, an hour before lineups lock",
    NotificationType.RESULTS_PUBLISHED: "Results published: my teams' points",
    NotificationType.RESULTS_CHANGED: "Results changed: a correction moved my points",
    NotificationType.RANK_CHANGED: "Rank changed in one of my leagues",
}
BATCH = 500
PARALLEL_SENDS = 8
SEND_TIMEOUT_SECONDS = 10.0
# A push service keeps an undelivered message this long; a deadline reminder is stale sooner.
TTL_SECONDS = 24 * 3600
DEADLINE_TTL_SECONDS = 3600
GONE = frozenset({404, 410})
MAX_BODY_CHARS = 1000
# Browsers a player may subscribe: the workers post every push to each of them.
MAX_SUBSCRIPTIONS = 20

CLAIM_SQL = """
WITH claimed AS (
    UPDATE notifications n SET pushed_at = $1
    WHERE n.id IN (
        SELECT id FROM notifications WHERE pushed_at IS NULL
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
    )
    RETURNING n.id, n.user_id, n.type, n.title, n.body, n.data, n.dedup_key
)
SELECT c.id, c.type, c.title, c.body, c.data, c.dedup_key,
       s.id AS subscription_id, s.endpoint, s.p256dh, s.auth
FROM claimed c
LEFT JOIN push_preferences p ON p.user_id = c.user_id AND p.type = c.type
LEFT JOIN push_subscriptions s ON s.user_id = p.user_id
ORDER BY c.id, s.id
"""

UPSERT_SQL = """
INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (endpoint) DO UPDATE
SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class PushReport:
    """What one run of the sender did: notifications claimed, pushes sent, failed, dropped."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dropped: int = 0


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@lru_cache(maxsize=4)
def _signer(key: str) -> Vapid | None:
    try:
        return Vapid.from_string(private_key=key)
    except (ValueError, TypeError, binascii.Error):
        log.error("VAPID_PRIVATE_KEY cannot be read (base64url, raw 32 bytes or DER): push is off")
        return None


def vapid(settings: Settings) -> Vapid | None:
    """Return the VAPID signer of these settings, or None when push is not configured."""
    key = settings.vapid_key()
    return _signer(key) if key else None


def public_key(settings: Settings) -> str | None:
    """Return the VAPID public key as browsers want it (applicationServerKey), or None."""
    signer = vapid(settings)
    if signer is None:
        return None
    point = signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def check_endpoint(endpoint: str, *, production: bool) -> None:
    """Refuse an endpoint the workers should not post to (production: HTTPS, public hosts)."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(endpoint) > 1000:
        raise AppError(
            "invalid_push_endpoint",
            "endpoint must be the push service URL the browser gave (at most 1000 characters)",
            field="endpoint",
            details={"field": "endpoint"},
        )
    if not production:
        return
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        address = None
    private = address is not None and not address.is_global
    if parts.scheme != "https" or private or parts.hostname == "localhost":
        raise AppError(
            "invalid_push_endpoint",
            "endpoint must be an https URL of a public push service",
            field="endpoint",
            details={"field": "endpoint"},
        )


def check_keys(*, p256dh: str, auth: str) -> None:
    """Refuse keys that are not a P-256 public point and a 16-byte secret, base64url."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(p256dh))
    except (ValueError, binascii.Error):
        raise AppError(
            "invalid_push_keys",
            "keys.p256dh must be the browser's P-256 public key, base64url",
            field="keys.p256dh",
            details={"field": "keys.p256dh"},
        ) from None
    try:
        secret = _b64decode(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise AppError(
            "invalid_push_keys",
            "keys.auth must be the browser's 16-byte auth secret, base64url",
            field="keys.auth",
            details={"field": "keys.auth"},
        )


async def subscribe(
    *, settings: Settings, user_id: int, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    """Store a browser's subscription for the user (a known endpoint moves to them)."""
    if vapid(settings) is None:
        raise AppError("push_disabled", "Push notifications are not set up here", status=409)
    check_endpoint(endpoint, production=settings.environment == "production")
    check_keys(p256dh=p256dh, auth=auth)
    async with in_transaction() as conn:
        # One player's subscriptions are counted one request at a time.
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [f"push:{user_id}"])
        known = await PushSubscription.filter(user_id=user_id).using_db(conn).count()
        renewing = await PushSubscription.exists(user_id=user_id, endpoint=endpoint)
        if known >= MAX_SUBSCRIPTIONS and not renewing:
            raise AppError(
                "too_many_push_subscriptions",
                f"At most {MAX_SUBSCRIPTIONS} browsers per player: turn push off on one first",
                field="endpoint",
                details={"field": "endpoint", "limit": MAX_SUBSCRIPTIONS},
            )
        rows = await conn.execute_query_dict(
            UPSERT_SQL, [user_id, endpoint, p256dh, auth, datetime.now(UTC)]
        )
    return await PushSubscription.get(id=rows[0]["id"])


async def subscriptions(*, user_id: int) -> list[PushSubscription]:
    """Return the user's subscribed browsers, oldest first."""
    return await PushSubscription.filter(user_id=user_id).order_by("id")


async def unsubscribe(*, user_id: int, subscription_id: int) -> None:
    """Forget one of the user's subscriptions; someone else's is `not_found`."""
    if not await PushSubscription.filter(id=subscription_id, user_id=user_id).delete():
        raise AppError.not_found("No such push subscription")


async def preferences(*, user_id: int) -> list[NotificationType]:
    """Return the notification types the user wants pushed, in the settings' order."""
    rows = await PushPreference.filter(user_id=user_id).values_list("type", flat=True)
    chosen = {str(kind) for kind in rows}
    return [kind for kind in PUSH_TYPES if str(kind) in chosen]


async def set_preferences(
    *, user_id: int, types: Sequence[NotificationType]
) -> list[NotificationType]:
    """Replace the types the user wants pushed; a type that cannot be pushed is refused."""
    wrong = [str(kind) for kind in types if kind not in PUSH_TYPES]
    if wrong:
        raise AppError(
            "unknown_push_type",
            f"{', '.join(wrong)} cannot be pushed; choose from {', '.join(PUSH_TYPES)}",
            field="types",
            details={"field": "types"},
        )
    async with in_transaction():
        await PushPreference.filter(user_id=user_id).delete()
        await PushPreference.bulk_create(
            [PushPreference(user_id=user_id, type=kind) for kind in dict.fromkeys(types)]
        )
    return await preferences(user_id=user_id)


def link(kind: str, data: dict[str, Any]) -> str:
    """Return the page a pushed notification opens: its own link, else its race, league or team."""
    url = data.get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    if kind in (NotificationType.RESULTS_PUBLISHED, NotificationType.RESULTS_CHANGED):
        return f"/races/{int(data['race_id'])}" if "race_id" in data else "/races"
    if kind == NotificationType.RANK_CHANGED and "league_id" in data:
        return f"/leagues/{int(data['league_id'])}"
    if kind == NotificationType.DEADLINE_SOON and "team_id" in data:
        return f"/teams/{int(data['team_id'])}"
    return "/notifications"


def payload(row: dict[str, Any]) -> str:
    """Return the JSON a pushed notification carries to the service worker."""
    data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
    return json.dumps(
        {
            "type": row["type"],
            "title": row["title"],
            "body": row["body"][:MAX_BODY_CHARS],
            "url": link(row["type"], data),
            "tag": row["dedup_key"],
        }
    )


async def _send_one(
    row: dict[str, Any], *, signer: Vapid, subject: str, session: aiohttp.ClientSession
) -> int | None:
    """Post one encrypted notification; return the push service's status, None if unreached."""
    deadline = row["type"] == NotificationType.DEADLINE_SOON
    try:
        response = await webpush_async(
            subscription_info={
                "endpoint": row["endpoint"],
                "keys": {"p256dh": row["p256dh"], "auth": row["auth"]},
            },
            data=payload(row),
            vapid_private_key=signer,
            vapid_claims={"sub": subject},
            ttl=DEADLINE_TTL_SECONDS if deadline else TTL_SECONDS,
            headers={"Urgency": "high" if deadline else "normal"},
            timeout=SEND_TIMEOUT_SECONDS,
            aiohttp_session=session,
        )
    except WebPushException as exc:
        status = exc.response.status if exc.response is not None else None
        if status not in GONE:
            log.warning("push to subscription %s failed: %s", row["subscription_id"], status)
        return int(status) if status is not None else None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("push to subscription %s unreached: %s", row["subscription_id"], exc)
        return None
    return int(getattr(response, "status", 201))


async def send_batch(*, settings: Settings, limit: int = BATCH) -> PushReport:
    """Claim up to `limit` notifications not yet pushed; push each to its user's chosen browsers."""
    # A key that cannot be read fails here, before anything is claimed and lost.
    signer = vapid(settings)
    rows = await connections.get("default").execute_query_dict(
        CLAIM_SQL, [datetime.now(UTC), limit]
    )
    claimed = len({row["id"] for row in rows})
    targets = [row for row in rows if row["subscription_id"] is not None]
    if not targets or signer is None:
        return PushReport(claimed=claimed)
    gate = asyncio.Semaphore(PARALLEL_SENDS)

    async with aiohttp.ClientSession() as session:

        async def bounded(row: dict[str, Any]) -> int | None:
            async with gate:
                return await _send_one(
                    row, signer=signer, subject=settings.vapid_subject, session=session
                )

        statuses = await asyncio.gather(*(bounded(row) for row in targets))
    outcomes = list(zip(targets, statuses, strict=True))
    gone = sorted({row["subscription_id"] for row, status in outcomes if status in GONE})
    if gone:
        await PushSubscription.filter(id__in=gone).delete()
    sent = sum(1 for status in statuses if status is not None and 200 <= status < 300)
    lost = sum(1 for status in statuses if status in GONE)
    return PushReport(
        claimed=claimed, sent=sent, failed=len(statuses) - sent - lost, dropped=len(gone)
    )


async def send_pending(*, settings: Settings, batches: int = 20) -> PushReport:
    """Push what is waiting, a batch at a time, until a batch comes back short."""
    total = PushReport()
    for _ in range(batches):
        report = await send_batch(settings=settings)
        total = PushReport(
            claimed=total.claimed + report.claimed,
            sent=total.sent + report.sent,
            failed=total.failed + report.failed,
            dropped=total.dropped + report.dropped,
        )
        if report.claimed < BATCH:
            break
    return total

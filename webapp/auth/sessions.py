"""Browser sessions: a random token in the cookie, its hash stored like a refresh token."""

from __future__ import annotations

from datetime import datetime

from webapp.auth.tokens import SESSION_PREFIX, find_live, new_secret, revoke_family, store_token
from webapp.models import User


async def create_session(*, user: User, days: int, now: datetime | None = None) -> str:
    """Start a session for `user` lasting `days` and return the secret the cookie carries."""
    raw = new_secret(SESSION_PREFIX)
    await store_token(user=user, raw=raw, days=days, now=now)
    return raw


async def user_for_session(*, raw: str | None, now: datetime | None = None) -> User | None:
    """Return the user of a live session, or None when it ended or never was."""
    if not raw:
        return None
    row = await find_live(raw=raw, prefix=SESSION_PREFIX, now=now)
    return row.user if row else None


async def end_session(*, raw: str | None, access_minutes: int, now: datetime | None = None) -> None:
    """End a session so its cookie (and access tokens living `access_minutes`) no longer work."""
    if not raw:
        return
    row = await find_live(raw=raw, prefix=SESSION_PREFIX, now=now)
    if row is not None:
        await revoke_family(family=row.family, access_minutes=access_minutes, now=now)

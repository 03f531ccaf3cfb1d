"""Browser sessions: a random token in the cookie, its hash stored like a refresh token."""

from __future__ import annotations

from datetime import datetime

from webapp.auth.tokens import SESSION_PREFIX, find_live, new_secret, revoke_family, store_token
from webapp.models import User
from webapp.settings import get_settings


async def create_session(*, user: User, now: datetime | None = None) -> str:
    """Start a session for `user` and return the secret the cookie carries."""
    raw = new_secret(SESSION_PREFIX)
    await store_token(user=user, raw=raw, days=get_settings().refresh_token_expire_days, now=now)
    return raw


async def user_for_session(*, raw: str | None, now: datetime | None = None) -> User | None:
    """Return the user of a live session, or None when it ended or never was."""
    if not raw:
        return None
    row = await find_live(raw=raw, prefix=SESSION_PREFIX, now=now)
    return row.user if row else None


async def end_session(*, raw: str | None, now: datetime | None = None) -> None:
    """End a session so its cookie no longer works anywhere."""
    if not raw:
        return
    row = await find_live(raw=raw, prefix=SESSION_PREFIX, now=now)
    if row is not None:
        await revoke_family(family=row.family, now=now)

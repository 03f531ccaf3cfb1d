"""JWT access tokens and rotating refresh tokens grouped in families."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from tortoise.expressions import Q

from webapp.errors import AppError
from webapp.models import RefreshToken, User
from webapp.redis import get_redis

ALGORITHM = "HS256"
ISSUER = "paddock"
AUDIENCE = "paddock-api"
# Prefixes keep a browser session from being replayed as an API refresh token and back.
REFRESH_PREFIX = "pr_"
SESSION_PREFIX = "ps_"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def utcnow(now: datetime | None = None) -> datetime:
    """Return `now` if given, else the current UTC time."""
    return now or datetime.now(UTC)


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 under which a token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    """Return a fresh random token with a kind prefix."""
    return prefix + secrets.token_urlsafe(32)


def create_access_token(
    *,
    user: User,
    secret: str,
    access_minutes: int,
    family: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[str, int]:
    """Return an access token for `user` (issued with refresh `family`) and its life in seconds."""
    issued = utcnow(now)
    life = access_minutes * 60
    claims: dict[str, str | int | float] = {
        "sub": str(user.id),
        # A fractional iat (allowed by RFC 7519) lets a password change cut precisely.
        "iat": issued.timestamp(),
        "exp": int(issued.timestamp()) + life,
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    if family is not None:
        # Revoking the family (logout, a stolen refresh token) revokes this token too.
        claims["fam"] = family.hex
    return jwt.encode(claims, secret, algorithm=ALGORITHM), life


def revoked_family_key(family: str) -> str:
    """Return the Redis key that marks a token family as revoked."""
    return f"auth:revoked-family:{family}"


async def family_revoked(family: str) -> bool:
    """Tell whether the access tokens of a family were revoked (one Redis read)."""
    return bool(await get_redis().exists(revoked_family_key(family)))


def issued_before_cutoff(user: User, issued: datetime) -> bool:
    """Tell whether a credential issued at `issued` predates the user's last password change."""
    return user.tokens_valid_after is not None and issued < user.tokens_valid_after


async def user_for_access_token(*, token: str, secret: str, now: datetime | None = None) -> User:
    """Return the user an access token signed with `secret` names, or raise `unauthorized`."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Time claims are checked below against the injectable clock.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["sub", "exp", "iat", "jti"],
            },
        )
        exp = float(claims["exp"])
        issued = datetime.fromtimestamp(float(claims["iat"]), UTC)
        user_id = int(claims["sub"])
        family = claims.get("fam")
        if family is not None and not isinstance(family, str):
            raise TypeError("fam")
    except (jwt.PyJWTError, TypeError, ValueError):
        raise AppError.unauthorized("Invalid token") from None
    if exp <= utcnow(now).timestamp():
        raise AppError.unauthorized("Token expired")
    if family is not None and await family_revoked(family):
        raise AppError.unauthorized("Token revoked")
    user = await User.get_or_none(id=user_id)
    if user is None or issued_before_cutoff(user, issued):
        raise AppError.unauthorized("Token revoked")
    return user


async def store_token(
    *, user: User, raw: str, days: int, family: uuid.UUID | None = None, now: datetime | None = None
) -> RefreshToken:
    """Store the hash of `raw` for `user` in `family` (a new one by default)."""
    issued = utcnow(now)
    return await RefreshToken.create(
        user=user,
        family=family or uuid.uuid4(),
        token_hash=hash_token(raw),
        created_at=issued,
        expires_at=issued + timedelta(days=days),
    )


async def issue_pair(
    *,
    user: User,
    secret: str,
    access_minutes: int,
    refresh_days: int,
    family: uuid.UUID | None = None,
    now: datetime | None = None,
) -> TokenPair:
    """Issue an access token and a refresh token (in `family`, else a new one)."""
    family = family or uuid.uuid4()
    access, life = create_access_token(
        user=user, secret=secret, access_minutes=access_minutes, family=family, now=now
    )
    raw = new_secret(REFRESH_PREFIX)
    await store_token(user=user, raw=raw, days=refresh_days, family=family, now=now)
    return TokenPair(access_token=access, refresh_token=raw, expires_in=life)


async def revoke_family(
    *, family: uuid.UUID, access_minutes: int, now: datetime | None = None
) -> None:
    """Revoke every live token of a family, and the access tokens (living `access_minutes`)."""
    await RefreshToken.filter(family=family, revoked_at=None).update(revoked_at=utcnow(now))
    # Kept as long as an access token lives (and a minute for clock skew): after that,
    # every access token of the family has expired on its own.
    await get_redis().set(revoked_family_key(family.hex), "1", ex=access_minutes * 60 + 60)


async def find_live(*, raw: str, prefix: str, now: datetime | None = None) -> RefreshToken | None:
    """Return the stored, unused, unrevoked, unexpired token for `raw`, with its user."""
    if not raw.startswith(prefix):
        return None
    row = (
        await RefreshToken.filter(token_hash=hash_token(raw), expires_at__gt=utcnow(now))
        .select_related("user")
        .first()
    )
    if row is None or row.revoked_at is not None or row.used_at is not None:
        return None
    if issued_before_cutoff(row.user, row.created_at):
        return None
    return row


async def rotate_refresh_token(
    *,
    raw: str,
    secret: str,
    access_minutes: int,
    refresh_days: int,
    now: datetime | None = None,
) -> TokenPair:
    """Trade a refresh token for a new pair; a retired token revokes its whole family."""
    when = utcnow(now)
    invalid = AppError(
        "unauthorized",
        "Invalid or expired refresh token",
        status=401,
        details={"reason": "invalid_token"},
    )
    if not raw.startswith(REFRESH_PREFIX):
        raise invalid
    row = await RefreshToken.get_or_none(token_hash=hash_token(raw)).select_related("user")
    if row is None:
        raise invalid
    # The conditional update makes rotation atomic: of two racing requests, one wins.
    claimed = await RefreshToken.filter(id=row.id, used_at=None, revoked_at=None).update(
        used_at=when
    )
    if not claimed:
        if row.used_at is not None:
            await revoke_family(family=row.family, access_minutes=access_minutes, now=when)
        raise invalid
    if row.expires_at <= when or issued_before_cutoff(row.user, row.created_at):
        raise invalid
    return await issue_pair(
        user=row.user,
        secret=secret,
        access_minutes=access_minutes,
        refresh_days=refresh_days,
        family=row.family,
        now=when,
    )


async def revoke_refresh_token(
    *, raw: str, access_minutes: int, now: datetime | None = None
) -> None:
    """Revoke the family of a refresh token (logout); unknown tokens are ignored."""
    if not raw.startswith(REFRESH_PREFIX):
        return
    row = await RefreshToken.get_or_none(token_hash=hash_token(raw))
    if row is not None:
        await revoke_family(family=row.family, access_minutes=access_minutes, now=now)


async def revoke_all(
    *, user: User, now: datetime | None = None, keep: uuid.UUID | None = None
) -> None:
    """Revoke every live refresh token and session of `user`, except family `keep`."""
    query = RefreshToken.filter(user=user, revoked_at=None)
    if keep is not None:
        query = query.filter(~Q(family=keep))
    await query.update(revoked_at=utcnow(now))

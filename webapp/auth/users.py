"""Accounts: registration, authentication, profile changes and user search."""

from __future__ import annotations

import re
from asyncio import to_thread
from collections.abc import Callable
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from webapp.auth.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from webapp.auth.tokens import revoke_all, utcnow
from webapp.errors import AppError
from webapp.models import User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
DISPLAY_NAME_MAX = 60
BAD_CREDENTIALS = "Wrong username, email or password"


def invalid(fields: dict[str, str]) -> AppError:
    """Return a `validation_error` naming every field in `fields`."""
    summary = "; ".join(f"{name}: {msg}" for name, msg in fields.items())
    return AppError(
        "validation_error",
        f"Invalid input ({summary})",
        details={"fields": fields},
        field=next(iter(fields)),
    )


def normalise_email(email: str) -> str:
    """Return the address lower-cased, or raise a `validation_error` naming `email`."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise invalid({"email": str(exc)}) from None
    if len(result.normalized) > 254:
        raise invalid({"email": "Email address is too long"})
    return result.normalized.lower()


def clean_display_name(value: str) -> str:
    """Return the trimmed display name, or raise a `validation_error` naming it."""
    name = " ".join(value.split())
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise invalid({"display_name": f"Display name must be 1 to {DISPLAY_NAME_MAX} characters"})
    return name


def collect(checks: dict[str, Callable[[], object]]) -> None:
    """Run zero-argument checks, raising one `validation_error` naming every failed field."""
    problems: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except AppError as exc:
            problems.update(exc.details.get("fields") or {name: exc.message})
    if problems:
        raise invalid(problems)


def check_username(username: str) -> None:
    """Raise a `validation_error` naming `username` unless it is 3 to 30 of [A-Za-z0-9_]."""
    if not USERNAME_RE.match(username):
        raise invalid({"username": "Username must be 3 to 30 letters, digits or underscores"})


async def register(
    *,
    email: str,
    username: str,
    password: str,
    display_name: str | None = None,
    is_admin: bool = False,
) -> User:
    """Create an account; usernames are unique regardless of case, emails are stored lower-case."""
    username = username.strip()
    collect(
        {
            "username": lambda: check_username(username),
            "email": lambda: normalise_email(email),
            "password": lambda: check_password_rules(password, username=username, email=email),
            "display_name": lambda: display_name is None or clean_display_name(display_name),
        }
    )
    address = normalise_email(email)
    name = clean_display_name(display_name) if display_name is not None else username
    password_hash = await to_thread(hash_password, password)
    try:
        async with in_transaction() as conn:
            # Serialises registrations of one username in any case, across processes.
            await conn.execute_query(
                "SELECT pg_advisory_xact_lock(hashtext($1))", [f"user:{username.lower()}"]
            )
            if await User.filter(email=address).using_db(conn).exists():
                raise email_taken()
            if await User.filter(username__iexact=username).using_db(conn).exists():
                raise username_taken()
            return await User.create(
                email=address,
                username=username,
                display_name=name,
                password_hash=password_hash,
                is_admin=is_admin,
                using_db=conn,
            )
    except IntegrityError:
        raise email_taken() from None


def email_taken() -> AppError:
    """Return the conflict for an email another account uses."""
    return AppError(
        "email_taken", "An account with this email already exists", status=409, field="email"
    )


def username_taken() -> AppError:
    """Return the conflict for a username another account uses."""
    return AppError("username_taken", "This username is taken", status=409, field="username")


async def find_by_login(login: str) -> User | None:
    """Return the user whose username or email is `login`, ignoring case."""
    login = login.strip()
    if "@" in login:
        return await User.get_or_none(email=login.lower())
    return await User.filter(username__iexact=login).first()


async def authenticate(*, login: str, password: str) -> User:
    """Return the user for a username or email and password, else raise `unauthorized`."""
    user = await find_by_login(login) if login.strip() else None
    # An unknown user still costs one Argon2 verification, so timing tells nothing.
    # Argon2 releases the GIL: a thread keeps the event loop serving others meanwhile.
    ok = await to_thread(verify_password, user.password_hash if user else None, password)
    if not ok or user is None:
        raise AppError.unauthorized(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = await to_thread(hash_password, password)
        await user.save(update_fields=["password_hash"])
    return user


async def update_profile(
    *,
    user: User,
    display_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    current_password: str | None = None,
    now: datetime | None = None,
) -> User:
    """Change the caller's own profile; email and password changes need the current password."""
    collect(
        {
            "display_name": lambda: display_name is None or clean_display_name(display_name),
            "email": lambda: email is None or normalise_email(email),
            "password": lambda: (
                password is None
                or check_password_rules(password, username=user.username, email=email or user.email)
            ),
        }
    )
    address = normalise_email(email) if email is not None else user.email
    if (address != user.email or password is not None) and not await to_thread(
        verify_password, user.password_hash, current_password or ""
    ):
        raise AppError(
            "wrong_password",
            "Current password is wrong",
            status=403,
            field="current_password",
        )
    fields = []
    if display_name is not None:
        user.display_name = clean_display_name(display_name)
        fields.append("display_name")
    if address != user.email:
        if await User.filter(email=address).exclude(id=user.id).exists():
            raise email_taken()
        user.email = address
        fields.append("email")
    if password is not None:
        when = utcnow(now)
        user.password_hash = await to_thread(hash_password, password)
        user.tokens_valid_after = when
        fields += ["password_hash", "tokens_valid_after"]
    if fields:
        try:
            await user.save(update_fields=[*fields, "updated_at"])
        except IntegrityError:
            raise email_taken() from None
    if password is not None:
        # Sessions and refresh tokens die with the old password; the page starts a new one.
        await revoke_all(user=user, now=user.tokens_valid_after)
    return user


async def search_users(*, prefix: str, limit: int, offset: int) -> tuple[list[User], int]:
    """Return a page of users whose username starts with `prefix` (any case), and the total."""
    query = User.filter(username__istartswith=prefix.strip())
    total = await query.count()
    rows = await query.order_by("username").offset(offset).limit(limit)
    return rows, total


async def create_admin(
    *, email: str, username: str, password: str | None, promote: bool = False
) -> tuple[User, bool]:
    """Create an admin, or with `promote` make the existing account named so one; say if new."""
    if promote:
        existing = await find_by_login(username) or await find_by_login(email)
        if existing is not None:
            if not existing.is_admin:
                existing.is_admin = True
                await existing.save(update_fields=["is_admin", "updated_at"])
            return existing, False
    if not password:
        raise invalid({"password": "A password is needed to create an account"})  # nosec B105
    user = await register(email=email, username=username, password=password, is_admin=True)
    return user, True

"""Argon2id password hashing and the password rules of the product."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from webapp.errors import AppError

MIN_LENGTH = 10
MAX_LENGTH = 128

PRODUCTION = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# Tests create hundreds of accounts; the algorithm is the same, only cheaper.
CHEAPEST = PasswordHasher.from_parameters(profiles.CHEAPEST)
# Chosen once per process by its entry point (the app factory, the CLI, the test setup).
_chosen = {"hasher": PRODUCTION}


def configure_hashing(*, cheap: bool) -> None:
    """Hash with the cheapest parameters (`cheap`, under test), else RFC 9106 low-memory ones."""
    wanted = CHEAPEST if cheap else PRODUCTION
    if _chosen["hasher"] is not wanted:
        _chosen["hasher"] = wanted
        dummy_hash.cache_clear()


def hasher() -> PasswordHasher:
    """Return the Argon2id hasher this process was configured with."""
    return _chosen["hasher"]


@lru_cache
def dummy_hash() -> str:
    """Return a hash to verify against when the user is unknown, so both failures cost alike."""
    return hasher().hash("paddock-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`."""
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches; with no hash, spend the same time and say no."""
    try:
        return hasher().verify(password_hash or dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def check_password_rules(password: str, *, username: str = "", email: str = "") -> str:
    """Return `password`, or raise a `validation_error` naming `password` if it breaks a rule."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"Password must be at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        problem = f"Password must be at most {MAX_LENGTH} characters"
    elif password.strip().lower() in {username.lower(), email.lower()}:
        problem = "Password must not be your username or email"
    if problem:
        raise AppError(
            "validation_error",
            problem,
            details={"fields": {"password": problem}},
            field="password",
        )
    return password

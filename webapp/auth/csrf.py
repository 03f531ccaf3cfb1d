"""CSRF tokens: a secret in the signed session cookie, echoed by every unsafe request."""

from __future__ import annotations

import hmac
import secrets

from markupsafe import Markup
from quart import request, session

from webapp.auth.current import CSRF_KEY, SESSION_KEY, bearer_token
from webapp.errors import AppError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


def new_csrf_token() -> str:
    """Return a new random CSRF token."""
    return secrets.token_urlsafe(32)


def csrf_token() -> str:
    """Return this browser's CSRF token, creating it on first use."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = new_csrf_token()
    return str(token)


def csrf_field() -> Markup:
    """Return the hidden form input carrying the CSRF token."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, csrf_token())


async def check_csrf() -> None:
    """Refuse an unsafe request that a cookie could have authorised without its token."""
    if request.method not in UNSAFE_METHODS:
        return
    supplied = [request.headers.get(HEADER)]
    if request.path.startswith("/api/"):
        # A bearer header or no cookie at all: nothing a forged cross-site request could ride on.
        if bearer_token() is not None or not session.get(SESSION_KEY):
            return
    elif request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        supplied.append((await request.form).get(FIELD))
    expected = session.get(CSRF_KEY)
    if not expected or not any(
        token and hmac.compare_digest(str(token), str(expected)) for token in supplied
    ):
        raise AppError.forbidden("Missing or invalid CSRF token: reload the page and try again")

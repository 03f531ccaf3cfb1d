"""Accounts: registration, login, tokens, sessions and profiles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from itsdangerous import URLSafeTimedSerializer
from quart import Quart, Response, request
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.wrappers import Response as WerkzeugResponse

from webapp.auth.csrf import check_csrf, csrf_field, csrf_token
from webapp.auth.current import client_ip, current_user
from webapp.auth.limits import limit_api
from webapp.auth.ratelimit import API_COUNTED
from webapp.settings import Settings

# These count against their own, stricter limits instead of the general one.
OWN_LIMITS = frozenset({"/api/v1/auth/login", "/api/v1/auth/register"})


class SignedCookieSessions(SecureCookieSessionInterface):
    """Quart's signed session cookie, its signer built once per key instead of per request."""

    def __init__(self) -> None:
        self._signer: tuple[object, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Quart) -> URLSafeTimedSerializer | None:
        """Return the signer of the app's current keys, reused while they stay the same."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]

    async def save_session(
        self, app: Quart, session: SessionMixin, response: Response | WerkzeugResponse | None
    ) -> None:
        """Save the cookie, returning at once for a session nothing read or changed."""
        # What Quart's own would do for it too, without first reading six cookie settings.
        if session or session.accessed or session.modified:
            await super().save_session(app, session, response)


def init_auth(app: Quart) -> None:
    """Configure the session cookie and install CSRF checks, API limits and template globals."""
    settings: Settings = app.config["SETTINGS"]
    app.config.update(
        SESSION_COOKIE_NAME="paddock_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.force_https,
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.refresh_token_expire_days),
    )
    app.session_interface = SignedCookieSessions()
    app.jinja_env.globals.update(csrf_field=csrf_field, csrf_token=csrf_token)

    @app.before_request
    async def _limit_api() -> None:
        if not request.path.startswith("/api/") or request.path in OWN_LIMITS:
            return
        if request.scope.get(API_COUNTED):
            return  # the ready reads counted it, in the round trip that found no body
        user = await current_user()
        await limit_api(key=f"user:{user.id}" if user else f"ip:{client_ip()}")

    app.before_request(check_csrf)

    @app.context_processor
    async def _user() -> dict[str, Any]:
        try:
            return {"current_user": await current_user()}
        except Exception:
            # An error page must still render when the database is what failed.
            return {"current_user": None}

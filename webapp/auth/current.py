"""The one helper that says who is calling: a bearer token for the API, else the session."""

from __future__ import annotations

from quart import current_app, g, has_request_context, request, session

from webapp.auth.ratelimit import client_address
from webapp.auth.sessions import create_session, end_session, user_for_session
from webapp.auth.tokens import user_for_access_token
from webapp.errors import AppError
from webapp.models import User
from webapp.observability import set_user_id
from webapp.settings import Settings

SESSION_KEY = "sid"
CSRF_KEY = "csrf"


def app_settings() -> Settings:
    """Return the settings the running app was built with."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def signing_secret() -> str:
    """Return the key tokens are signed with, read once when the app was built."""
    return str(current_app.config["SECRET_KEY"])


def bearer_token() -> str | None:
    """Return the `Authorization` header of an API request, if it has one."""
    if not has_request_context() or not request.path.startswith("/api/"):
        return None
    return request.headers.get("Authorization") or None


async def session_user() -> User | None:
    """Return the user of the session cookie (works for websockets too)."""
    return await user_for_session(raw=session.get(SESSION_KEY))


async def current_user() -> User | None:
    """Return the caller, or None when anonymous or the credential does not hold."""
    if g.get("auth_resolved"):
        user: User | None = g.get("current_user")
        return user
    user = None
    header = bearer_token()
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            g.auth_error = "Use an `Authorization: Bearer <token>` header"
        else:
            try:
                user = await user_for_access_token(token=token.strip(), secret=signing_secret())
            except AppError as exc:
                g.auth_error = exc.message
    else:
        user = await session_user()
    g.current_user = user
    g.auth_resolved = True
    set_user_id(user.id if user else None)
    return user


async def require_user() -> User:
    """Return the caller, or raise `unauthorized` (pages turn it into a login redirect)."""
    user = await current_user()
    if user is None:
        raise AppError.unauthorized(g.get("auth_error") or "Authentication required")
    return user


async def require_admin() -> User:
    """Return the caller if an admin, else raise `unauthorized` or `forbidden`."""
    user = await require_user()
    if not user.is_admin:
        raise AppError.forbidden("Admins only")
    return user


def clear_session() -> None:
    """Forget the cookie's contents except the CSRF secret."""
    # htmx keeps <body hx-headers> across boosted navigations, so the token must outlive login.
    csrf = session.get(CSRF_KEY)
    session.clear()
    if csrf:
        session[CSRF_KEY] = csrf


async def log_in(user: User) -> None:
    """Start a browser session for `user` under a fresh session secret."""
    settings = app_settings()
    await end_session(
        raw=session.get(SESSION_KEY), access_minutes=settings.access_token_expire_minutes
    )
    clear_session()
    session[SESSION_KEY] = await create_session(user=user, days=settings.refresh_token_expire_days)
    session.permanent = True
    g.current_user = user
    g.auth_resolved = True
    set_user_id(user.id)


async def log_out() -> None:
    """End the browser session everywhere and forget the cookie's contents."""
    await end_session(
        raw=session.get(SESSION_KEY), access_minutes=app_settings().access_token_expire_minutes
    )
    clear_session()
    g.current_user = None
    g.auth_resolved = True
    set_user_id(None)


def client_ip() -> str:
    """Return the caller's address, trusting `X-Forwarded-For` only from TRUSTED_PROXIES."""
    return client_address(
        peer=request.remote_addr,
        forwarded_for=request.headers.get("X-Forwarded-For"),
        trusted=app_settings().trusted_proxies,
    )

"""Account pages: register, log in, log out and the profile, with errors beside each field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, Response, render_template, request
from quart.typing import ResponseReturnValue

from webapp.auth import users
from webapp.auth.current import client_ip, current_user, log_in, log_out, require_user
from webapp.auth.limits import limit_login, limit_register
from webapp.errors import AppError
from webapp.responses import redirect_to

pages = Blueprint("auth_pages", __name__)


def safe_next(value: str | None) -> str:
    """Return `value` if it is a path on this site, else the home page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in value):
        return "/"
    return value


def form_errors(error: AppError) -> dict[str, str]:
    """Return field -> message for a form; `_form` holds a message with no field."""
    fields = error.details.get("fields") if error.code == "validation_error" else None
    if fields:
        return dict(fields)
    return {error.field or "_form": error.message}


async def render_form(template: str, *, error: AppError | None = None, **context: Any) -> Response:
    """Render an account form page; with an error, 422 (or 429) and the error beside its field."""
    context.setdefault("values", {})
    context["errors"] = form_errors(error) if error else {}
    response = Response(await render_template(template, **context))
    if error is not None:
        # htmx swaps 422 and 429 (see base.html), so boosted forms show their errors too.
        response.status_code = 429 if error.status == 429 else 422
        response.headers.update(error.headers)
    return response


@pages.route("/register", methods=["GET", "POST"])
async def register() -> ResponseReturnValue:
    """Show the sign-up form, or create the account and log it in."""
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        return await render_form("auth/register.html", next_url=next_url)
    form = await request.form
    values = {name: form.get(name, "") for name in ("email", "username", "display_name")}
    next_url = safe_next(form.get("next"))
    try:
        await limit_register(ip=client_ip())
        user = await users.register(
            email=values["email"],
            username=values["username"],
            password=form.get("password", ""),
            display_name=values["display_name"].strip() or None,
        )
    except AppError as error:
        return await render_form(
            "auth/register.html",
            error=error,
            values=values,
            next_url=next_url,
        )
    await log_in(user)
    return redirect_to(next_url)


@pages.route("/login", methods=["GET", "POST"])
async def login() -> ResponseReturnValue:
    """Show the log-in form, or check the credentials and go back where the user was."""
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        if await current_user() is not None:
            return redirect_to(next_url)
        return await render_form("auth/login.html", next_url=next_url)
    form = await request.form
    login_name = form.get("username", "")
    next_url = safe_next(form.get("next"))
    try:
        await limit_login(ip=client_ip(), login=login_name)
        user = await users.authenticate(login=login_name, password=form.get("password", ""))
    except AppError as error:
        return await render_form(
            "auth/login.html",
            error=error,
            values={"username": login_name},
            next_url=next_url,
        )
    await log_in(user)
    return redirect_to(next_url)


@pages.route("/logout", methods=["GET", "POST"])
async def logout() -> ResponseReturnValue:
    """Ask to confirm, or end the session and go home."""
    if request.method == "GET":
        if await current_user() is None:
            return redirect_to("/")
        return await render_form("auth/logout.html")
    await log_out()
    return redirect_to("/")


@pages.route("/profile", methods=["GET", "POST"])
async def profile() -> ResponseReturnValue:
    """Show or change the caller's display name, email and password."""
    user = await require_user()
    if request.method == "GET":
        return await render_form(
            "auth/profile.html", user=user, saved=request.args.get("saved") == "1"
        )
    form = await request.form
    values = {name: form.get(name, "") for name in ("display_name", "email")}
    password = form.get("password", "")
    try:
        await users.update_profile(
            user=user,
            display_name=values["display_name"],
            email=values["email"],
            password=password or None,
            current_password=form.get("current_password") or None,
        )
    except AppError as error:
        await user.refresh_from_db()
        return await render_form(
            "auth/profile.html",
            error=error,
            user=user,
            values=values,
        )
    if password:
        # The change ended every session, this one included: start a fresh one here.
        await log_in(user)
    return redirect_to("/profile?saved=1")

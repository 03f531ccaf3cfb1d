"""How each kind of response renders an AppError, and the app's handlers for every failure."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from asyncpg.exceptions import DataError
from pydantic import ValidationError
from quart import (
    Quart,
    Response,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from quart_schema import RequestSchemaValidationError
from tortoise.exceptions import OperationalError
from tortoise.exceptions import ValidationError as TortoiseValidationError
from werkzeug.exceptions import HTTPException

from webapp.errors import STATUS_CODES, AppError
from webapp.outage import count_outage, outage_of
from webapp.responses import redirect_to

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """Tell whether the current request is for the JSON API or the replay feed."""
    return request.path.startswith(("/api/", "/replay/ergast/"))


def login_redirect() -> Response:
    """Send a page visitor to log in, coming back here afterwards (HX-Redirect for htmx)."""
    here = request.full_path.rstrip("?") if request.method == "GET" else request.path
    target = f"/login?{urlencode({'next': here})}"
    if request.headers.get("HX-Request"):
        return Response("", status=200, headers={"HX-Redirect": target})
    return redirect_to(target)


async def render_error(error: AppError) -> Response:
    """Render an error as JSON for the API and as an HTML page elsewhere."""
    if not has_request_context():  # a websocket handshake: refuse it with the status
        return Response(error.message, status=error.status, content_type="text/plain")
    if error.status == 401 and not wants_json():
        return login_redirect()
    if wants_json():
        response = jsonify(error.payload())
    elif error.code == "service_unavailable":
        # Straight from the environment: the usual context processors may need what is down.
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        here = request.full_path.rstrip("?") if request.method == "GET" else "/"
        html = await template.render_async(
            error=error, retry_after=error.headers.get("Retry-After"), here=here
        )
        response = Response(html, content_type="text/html; charset=utf-8")
    else:
        html = await render_template("errors/error.html", error=error)
        response = Response(html, content_type="text/html; charset=utf-8")
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def register_error_handlers(app: Quart) -> None:
    """Install the handlers that give every failure the shape of `api.md`."""

    @app.errorhandler(AppError)
    async def _app_error(error: AppError) -> Response:
        return await render_error(error)

    @app.errorhandler(RequestSchemaValidationError)
    async def _schema_error(error: RequestSchemaValidationError) -> Response:
        inner = error.validation_error
        if isinstance(inner, ValidationError):
            return await render_error(AppError.from_validation(inner))
        return await render_error(AppError("validation_error", str(inner)))

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or error.name
        if status == 400 and request.mimetype == "application/json":
            message = "Request body is not valid JSON"
        if status == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            message = f"Request body is larger than {limit} bytes"
        headers = dict(error.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        return await render_error(
            AppError(STATUS_CODES.get(status, "error"), message, status=status, headers=headers)
        )

    @app.errorhandler(TortoiseValidationError)
    async def _field_value(error: TortoiseValidationError) -> Response:
        # A value no column can hold (a too-long code, say) reached a query: bad input.
        field, _, problem = str(error).partition(": ")
        return await render_error(
            AppError(
                "validation_error",
                f"Invalid input ({error})",
                details={"fields": {field: problem or str(error)}},
                field=field,
            )
        )

    @app.errorhandler(OperationalError)
    async def _database_error(error: OperationalError) -> Response:
        if isinstance(error.__cause__, DataError):
            # asyncpg refused a parameter, e.g. a number beyond the column's integer range.
            return await render_error(
                AppError(
                    "validation_error",
                    "Invalid input: a number is out of range",
                    details={"fields": {}, "reason": "out_of_range"},
                )
            )
        return await _unexpected(error)

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> Response:
        if service := outage_of(error):
            count_outage(service)
            log.warning("%s unreachable: %r", service, error, extra={"service": service})
            return await render_error(AppError.unavailable(service))
        log.exception("unhandled error", exc_info=error)
        return await render_error(
            AppError("internal_error", "Something went wrong on our side", status=500)
        )

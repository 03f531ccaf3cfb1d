"""Redirect responses typed as the Quart responses routes return."""

from __future__ import annotations

from quart import Response, redirect


def redirect_to(location: str, status: int = 303) -> Response:
    """Return a redirect to `location` (303 See Other unless told otherwise)."""
    response = redirect(location, status)
    # Quart declares Werkzeug's base class, but inside an app it builds the app's own.
    assert isinstance(response, Response)
    return response

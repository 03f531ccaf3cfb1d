"""Text no column can store (NUL, lone surrogates) is refused up front, naming its field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from quart import Quart, request

from webapp.errors import AppError

# PostgreSQL text cannot hold U+0000, and UTF-8 cannot encode half a surrogate pair.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def text_problem(value: str) -> str | None:
    """Say why `value` cannot be stored as text, or return None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "the text is invalid: it contains a NUL character"
    return "the text is invalid: it is not valid Unicode (a lone surrogate)"


def json_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """Return (field path, problem) of the first unstorable string in a JSON value."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "body", problem) if problem else None
    if isinstance(value, dict):
        children: Iterable[tuple[str, Any]] = value.items()
    elif isinstance(value, list):
        children = ((str(n), item) for n, item in enumerate(value))
    else:
        return None
    for key, child in children:
        here = f"{path}.{key}" if path else str(key)
        found = json_problem(key, here) or json_problem(child, here)
        if found:
            return found
    return None


def pairs_problem(pairs: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """Return (field, problem) of the first unstorable name or value of a query or form."""
    for name, value in pairs:
        problem = text_problem(name) or text_problem(value)
        if problem:
            return name, problem
    return None


async def check_request_text() -> None:
    """Refuse a request whose query, form or JSON body holds text no column can store."""
    found = pairs_problem(request.args.items(multi=True))
    if found is None and request.method != "GET":
        if request.mimetype in FORM_TYPES:
            found = pairs_problem((await request.form).items(multi=True))
        elif request.is_json and request.path.startswith("/api/"):
            # Parsed once: the view's own get_json() reads the cached result.
            found = json_problem(await request.get_json())
    if found is not None:
        problem = found[1]
        # The field's own name may be the bad text: name it without the bad characters.
        field = _UNSTORABLE.sub("", found[0]) or "body"
        raise AppError(
            "validation_error",
            f"Invalid input ({field}: {problem})",
            details={"fields": {field: problem}},
            field=field,
        )


def init_inputs(app: Quart) -> None:
    """Check every request's query string, form and JSON body before a view reads them."""
    app.before_request(check_request_text)

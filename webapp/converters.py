"""URL converters: ids in paths stay within the database's integer range."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# PostgreSQL `integer`: a larger id in a path is a row that cannot exist (404), not a 500.
MAX_ID = 2**31 - 1


class DbIdConverter(IntegerConverter):
    """The `int` converter, refusing numbers no `integer` column can hold."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

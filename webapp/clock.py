"""The clock of a request: the app's `CLOCK` when a test has set one, else the real one."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import current_app


def app_now() -> datetime:
    """Return now, from the app's `CLOCK` when a test has set one."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)

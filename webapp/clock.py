"""The clock of a request: the app's `CLOCK` when a test has set one, else the game's clock."""

from __future__ import annotations

from datetime import datetime

from quart import current_app

from webapp import gameclock


def app_now() -> datetime:
    """Return the game's time now, from the app's `CLOCK` when a test has set one."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else gameclock.now()

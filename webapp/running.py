"""The settings of the running app, read once at the web edge and passed to domain code."""

from __future__ import annotations

from quart import current_app

from webapp.catalogue.queries import current_season, remembered_current_season
from webapp.settings import Settings


def app_settings() -> Settings:
    """Return the settings the running app was built with."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def configured_season() -> int | None:
    """Return the season the running app's settings make current (REPLAY, else SEASON), if any."""
    return app_settings().current_season()


async def season_now() -> int:
    """Return the current season of the running app."""
    return await current_season(configured=configured_season())


async def remembered_season_now() -> int:
    """Return the current season of the running app, kept a minute in this process."""
    return await remembered_current_season(configured=configured_season())

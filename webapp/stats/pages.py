"""Statistics pages: a race's results versions and what changed between two of them."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, render_template, request
from quart_schema import hide

from webapp.auth.current import current_user
from webapp.errors import AppError
from webapp.stats.versions import Timeline, compare_versions, race_timeline

pages = Blueprint("stats_pages", __name__)


def version_arg(name: str) -> int | None:
    """Return a version number of the query string, None when absent, or fail naming it."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise AppError("validation_error", "A version is a whole number", field=name)
    return int(value)


@pages.app_context_processor
async def _timeline() -> dict[str, Any]:
    # A function, so only the race page, which shows the versions, pays for the query.
    async def result_timeline(race_id: int) -> Timeline:
        return await race_timeline(race_id=race_id)

    return {"result_timeline": result_timeline}


@pages.get("/races/<int:race_id>/versions")
@hide
async def versions(race_id: int) -> str:
    """Show every version of a race's results and what changed between two of them."""
    user = await current_user()
    timeline = await race_timeline(race_id=race_id)
    diff = await compare_versions(
        race_id=race_id,
        old=version_arg("from"),
        new=version_arg("to"),
        user_id=user.id if user else None,
    )
    return await render_template(
        "stats/versions.html", race=timeline.race, timeline=timeline, diff=diff, user=user
    )

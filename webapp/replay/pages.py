"""The replay banner on every page, the replay page, and the admin page that starts replays."""

from __future__ import annotations

import logging
from typing import Any

from quart import Blueprint, Response, render_template, request

from webapp.auth.current import current_user, require_admin
from webapp.errors import AppError
from webapp.gameclock import system_now
from webapp.leaderboards.queries import overall_leaderboard
from webapp.replay.progress import Progress, clock_text, every_replay, replay_progress
from webapp.replay.start import replayable_seasons, start_season_replay
from webapp.responses import redirect_to
from webapp.settings import get_settings

log = logging.getLogger(__name__)
pages = Blueprint("replay_pages", __name__)
ADMIN_TEMPLATE = "replay/admin.html"
STANDINGS = 10
DEFAULT_MINUTES = 10.0


@pages.app_context_processor
async def _banner() -> dict[str, Any]:
    # A function: only pages that show the banner pay for the lookup.
    async def replay_banner() -> Progress | None:
        try:
            return await _running()
        except Exception:  # an error page's banner must not fail the page
            log.warning("replay progress unavailable", exc_info=True)
            return None

    return {"replay_banner": replay_banner, "replay_clock_text": clock_text, "real_now": system_now}


async def _running() -> Progress | None:
    """Return where the replay this deployment runs (`REPLAY`) stands, if it runs one."""
    return await replay_progress(season=get_settings().replay, now=system_now())


@pages.get("/replay")
async def replay_page() -> str:
    """Show the replay running here: where it stands, and its standings (final once over)."""
    progress = await _running()
    board = None
    if progress is not None:
        user = await current_user()
        board = await overall_leaderboard(
            season=progress.season, limit=STANDINGS, user_id=user.id if user else None
        )
    return await render_template("replay/index.html", progress=progress, board=board)


async def _admin_context(**extra: Any) -> dict[str, Any]:
    progress = await _running()
    seasons = replayable_seasons()
    values = {
        "season": str(progress.season if progress else seasons[-1]),
        "minutes_per_race": f"{progress.minutes_per_race if progress else DEFAULT_MINUTES:g}",
    }
    return {
        "progress": progress,
        "replays": await every_replay(now=system_now()),
        "running": get_settings().replay,
        "seasons": seasons,
        "values": values,
        "errors": {},
        **extra,
    }


@pages.route("/admin/replay", methods=["GET", "POST"])
async def admin_replay() -> Response | str:
    """Start a replay of a bundled season, or start the running one over from round 1."""
    await require_admin()
    if request.method == "GET":
        context = await _admin_context(started=request.args.get("started"))
        return await render_template(ADMIN_TEMPLATE, **context)
    form = await request.form
    try:
        season = int(_number(form.get("season", ""), field="season", whole=True))
        minutes = _number(form.get("minutes_per_race", ""), field="minutes_per_race")
        run = await start_season_replay(season=season, minutes_per_race=minutes, now=system_now())
    except AppError as error:
        context = await _admin_context()
        context["values"] = {k: form.get(k, "") for k in ("season", "minutes_per_race")}
        context["errors"] = error.details.get("fields") or {error.field or "_form": error.message}
        return Response(await render_template(ADMIN_TEMPLATE, **context), status=422)
    outcome = "restarted" if run.restarted else "started"
    return redirect_to(f"/admin/replay?started={outcome}")


def _number(value: str, *, field: str, whole: bool = False) -> float:
    """Return a form number, or a `validation_error` naming its field."""
    try:
        return int(value.strip()) if whole else float(value.strip())
    except ValueError:
        message = "Enter a whole number" if whole else "Enter a number"
        raise AppError(
            "validation_error", message, details={"fields": {field: message}}, field=field
        ) from None

"""Admin pages: enter or correct a race's results, queue a poll, watch the feed and queue."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from quart import Blueprint, Response, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from webapp import gameclock
from webapp.auth.current import require_admin
from webapp.catalogue.queries import get_race, list_drivers, list_races
from webapp.clock import app_now
from webapp.errors import AppError
from webapp.models import RaceResult
from webapp.responses import redirect_to
from webapp.results.manual import ManualItem, enter_results, set_driver_of_the_day
from webapp.results.polling import feed_last_reached, kept_feed_outage
from webapp.results.queue import queue_poll, start_sender, stop_sender
from webapp.results.routes import status_data
from webapp.running import season_now

log = logging.getLogger(__name__)
pages = Blueprint("results_pages", __name__)
TEMPLATE = "results/admin_race.html"


@pages.before_app_serving
async def _start_sender() -> None:
    await start_sender(current_app.config["SETTINGS"])


@pages.after_app_serving
async def _stop_sender() -> None:
    await stop_sender()


async def last_reached_or_none() -> datetime | None:
    """Return when the feed was last reached, or None if that cannot be told right now."""
    try:
        return await feed_last_reached()
    except Exception:  # the footer of an error page must render even with Redis down
        log.warning("cannot tell when the feed was last reached", exc_info=True)
        return None


def _at(when: datetime, *, now: datetime) -> str:
    """Say a time in UTC, with its day when that is not today."""
    return when.strftime("%H:%M UTC" if when.date() == now.date() else "%H:%M UTC on %d %b %Y")


async def feed_outage_notice() -> str | None:
    """Say since when the feed cannot be reached and when it last was; None when it can."""
    if isinstance(gameclock.current(), gameclock.ReplayClock):
        return None  # a replay serves its own feed: nothing for a visitor to worry about
    try:
        outage = await kept_feed_outage()
        if outage is None:
            return None
        reached = await feed_last_reached()
    except Exception:  # the header of an error page must render even with the services down
        log.warning("cannot tell whether the feed is reachable", exc_info=True)
        return None
    now = app_now()
    contact = _at(reached, now=now) if reached else "never"
    return f"Results feed unreachable since {_at(outage.since, now=now)}; last contact {contact}."


@pages.app_context_processor
async def _feed_status() -> dict[str, Any]:
    # Functions: only pages that show the feed's state pay for the lookups.
    return {"feed_last_reached": last_reached_or_none, "feed_outage": feed_outage_notice}


@pages.before_request
async def _admins_only() -> None:
    await require_admin()


@pages.get("/admin")
async def home() -> str:
    """Show operators the queue, recent runs, failures and the last poll of each race."""
    return await render_template("results/admin_home.html", status=await status_data())


@pages.get("/admin/results")
async def races() -> str:
    """List the season's races with their result versions and status."""
    season = await season_now()
    return await render_template(
        "results/admin_races.html", season=season, races=await list_races(season=season)
    )


def _int(value: str | None, *, field: str, default: int | None = 0) -> int | None:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise AppError("validation_error", "Enter a whole number", field=field) from None


def parse_form(form: MultiDict[str, str]) -> list[ManualItem]:
    """Turn the results form (one row per driver, blank position = not entered) into items."""
    items = []
    columns = zip(
        form.getlist("driver_id"),
        form.getlist("position_text"),
        form.getlist("grid"),
        form.getlist("laps"),
        form.getlist("status"),
        form.getlist("fastest_lap_rank"),
        strict=False,
    )
    for driver_id, text, grid, laps, status, rank in columns:
        if not text.strip():
            continue
        field = f"row-{driver_id}"
        items.append(
            ManualItem(
                driver_id=_int(driver_id, field=field) or 0,
                position_text=text.strip().upper(),
                grid=_int(grid, field=field) or 0,
                laps=_int(laps, field=field) or 0,
                status=status.strip() or ("Finished" if text.strip().isdigit() else "Retired"),
                fastest_lap_rank=_int(rank, field=field, default=None),
            )
        )
    if not items:
        raise AppError("validation_error", "Enter at least one driver's result", field="_form")
    return items


async def race_context(race_id: int, *, form: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """Return the race, one form row per driver (current results or what was posted)."""
    race = await get_race(race_id=race_id)
    drivers = await list_drivers(season=race.season_id)
    current = {
        r.driver_id: r
        for r in await RaceResult.filter(race_id=race.id, version=race.results_version)
    }
    rows = []
    posted = {}
    if form is not None:
        posted = {
            int(d): (t, g, lp, s, fl)
            for d, t, g, lp, s, fl in zip(
                form.getlist("driver_id"),
                form.getlist("position_text"),
                form.getlist("grid"),
                form.getlist("laps"),
                form.getlist("status"),
                form.getlist("fastest_lap_rank"),
                strict=False,
            )
            if d.isdigit()
        }
    for driver in sorted(
        drivers,
        key=lambda d: (current[d.id].position_order if d.id in current else 99, d.last_name),
    ):
        if driver.id in posted:
            text, grid, laps, status, rank = posted[driver.id]
        elif driver.id in current:
            r = current[driver.id]
            text, grid, laps, status = r.position_text, str(r.grid), str(r.laps), r.status
            rank = str(r.fastest_lap_rank or "")
        else:
            text, grid, laps, status, rank = "", "", "", "", ""
        rows.append(
            {
                "driver": driver,
                "position_text": text,
                "grid": grid,
                "laps": laps,
                "status": status,
                "fastest_lap_rank": rank,
            }
        )
    return {"race": race, "rows": rows, "drivers": drivers, "errors": {}, "saved": None}


@pages.route("/admin/races/<int:race_id>/results", methods=["GET", "POST"])
async def race_results(race_id: int) -> Response | str:
    """Show a race's results as a form; save them as a new version."""
    admin = await require_admin()
    if request.method == "GET":
        context = await race_context(race_id)
        context["saved"] = request.args.get("saved")
        return await render_template(TEMPLATE, **context)
    form = await request.form
    if form.get("action") == "poll":
        await queue_poll(race_id=race_id)
        return redirect_to(f"/admin/races/{race_id}/results?saved=poll")
    if form.get("action") == "driver_of_the_day":
        return await _driver_of_the_day(race_id, form)
    try:
        await enter_results(
            race_id=race_id, items=parse_form(form), admin_id=admin.id, now=app_now()
        )
    except AppError as error:
        context = await race_context(race_id, form=form)
        context["errors"] = error.details.get("fields") or {error.field or "_form": error.message}
        context["message"] = error.message
        return Response(await render_template(TEMPLATE, **context), status=422)
    return redirect_to(f"/admin/races/{race_id}/results?saved=results")


async def _driver_of_the_day(race_id: int, form: MultiDict[str, str]) -> Response:
    """Set or clear the race's Driver of the Day from the form (an empty choice clears it)."""
    chosen = (form.get("driver_of_the_day_id") or "").strip()
    try:
        if chosen and not chosen.isdigit():
            raise AppError(
                "validation_error",
                "Choose a driver of the season",
                details={"fields": {"driver_id": "must be a driver id"}},
                field="driver_id",
            )
        await set_driver_of_the_day(
            race_id=race_id, driver_id=int(chosen) if chosen else None, now=app_now()
        )
    except AppError as error:
        if error.status == 404:
            raise
        context = await race_context(race_id)
        context["errors"] = {error.field or "driver_id": error.message}
        context["message"] = error.message
        return Response(await render_template(TEMPLATE, **context), status=422)
    return redirect_to(f"/admin/races/{race_id}/results?saved=driver_of_the_day")


@pages.get("/admin/status")
async def status() -> str:
    """Show the feed's state, the last poll per race, recent task runs and the queue."""
    return await render_template("results/admin_status.html", status=await status_data())

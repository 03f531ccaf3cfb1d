"""The replay feed: the Ergast paths the feed client reads, answered from a bundled season."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request
from quart_schema import hide

from webapp import gameclock
from webapp.models import RaceStatus
from webapp.replay import ergast
from webapp.results.timetable import RaceClock, checks
from webapp.settings import Settings

feed = Blueprint("replay_feed", __name__)
PREFIX = "/replay/ergast/f1"
# Any moment serves: only the gap between results arriving and the first check counts.
_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


def final_after(offsets_hours: list[float]) -> timedelta:
    """Return how long after results first arrive the poller makes its first check."""
    clock = RaceClock(starts_at=_ORIGIN, status=RaceStatus.PROVISIONAL, results_at=_ORIGIN)
    times = checks(clock, offsets_hours)
    return times[0] - _ORIGIN if times else timedelta(0)


def _page() -> ergast.Window:
    return ergast.window(limit=request.args.get("limit"), offset=request.args.get("offset"))


def _answer(doc: dict[str, Any]) -> Response:
    """Send a feed document with the headers the real feed sends."""
    response = jsonify(doc)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _final_after() -> timedelta:
    settings: Settings = current_app.config["SETTINGS"]
    return final_after(settings.verify_offsets_hours)


@feed.get("/<int:season>/races.json")
@hide
async def races(season: int) -> Response:
    """The season's calendar."""
    return _answer(ergast.calendar(season=season, url=request.url, page=_page()))


@feed.get("/<int:season>/drivers.json")
@hide
async def drivers(season: int) -> Response:
    """The season's drivers."""
    return _answer(ergast.drivers(season=season, url=request.url, page=_page()))


@feed.get("/<int:season>/constructors.json")
@hide
async def constructors(season: int) -> Response:
    """The season's constructors."""
    return _answer(ergast.constructors(season=season, url=request.url, page=_page()))


@feed.get("/<int:season>/constructors/<constructor>/drivers.json")
@hide
async def constructor_drivers(season: int, constructor: str) -> Response:
    """The drivers of one constructor in the season."""
    page = _page()
    doc = ergast.drivers(season=season, url=request.url, page=page, constructor=constructor)
    return _answer(doc)


@feed.get("/<int:season>/<int:round>/results.json")
@hide
async def results(season: int, round: int) -> Response:
    """A race's classification, as far as it is out on the game's clock."""
    page = _page()
    doc = ergast.results(
        season=season,
        round=round,
        now=gameclock.now(),
        final_after=_final_after(),
        url=request.url,
        page=page,
    )
    return _answer(doc)


@feed.get("/<int:season>/<int:round>/sprint.json")
@hide
async def sprint(season: int, round: int) -> Response:
    """A sprint's classification once it is out."""
    page = _page()
    doc = ergast.sprint(season=season, round=round, now=gameclock.now(), url=request.url, page=page)
    return _answer(doc)


@feed.get("/<int:season>/<int:round>/qualifying.json")
@hide
async def qualifying(season: int, round: int) -> Response:
    """A qualifying order once it is out."""
    page = _page()
    doc = ergast.qualifying(
        season=season, round=round, now=gameclock.now(), url=request.url, page=page
    )
    return _answer(doc)

"""Results JSON API: a race's results (public); manual results, polls and status (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field
from quart import Blueprint, current_app
from quart_schema import validate_request, validate_response

from webapp import cache
from webapp.auth.current import require_admin
from webapp.catalogue import queries as catalogue
from webapp.catalogue.routes import RaceOut, race_out
from webapp.clock import app_now
from webapp.converters import MAX_ID
from webapp.models import RaceResult
from webapp.redis import get_redis
from webapp.results import queries
from webapp.results.manual import ManualItem, enter_results, set_driver_of_the_day
from webapp.results.queue import QUEUE_GROUP, QUEUE_STREAM, queue_poll
from webapp.schemas import ApiModel, Number, UtcDatetime

api = Blueprint("results_api", __name__)
admin_api = Blueprint("results_admin_api", __name__)
# A stored version never changes: its rows are kept a day, and a new version is a new key.
RACE_RESULTS = cache.Namespace("race-results", ttl=24 * 3600)


@admin_api.before_request
async def _admins_only() -> None:
    await require_admin()


class DriverRef(ApiModel):
    id: int
    ref: str
    code: str


class ResultConstructorRef(ApiModel):
    id: int
    ref: str


class ResultItem(ApiModel):
    position: int | None
    position_text: str
    driver: DriverRef
    constructor: ResultConstructorRef
    grid: int
    laps: int
    status: str
    fastest_lap_rank: int | None
    points: Number


class ResultsOut(ApiModel):
    race_id: int
    version: int
    status: str
    items: list[ResultItem]


class ManualRow(ApiModel):
    model_config = ConfigDict(extra="forbid")

    driver_id: int
    position_text: Annotated[
        str,
        Field(pattern=r"^\s*(\d{1,2}|[RDEWFNrdewfn])\s*$", description="1, 2, … or R D E W F N"),
    ]
    grid: Annotated[int, Field(ge=0, le=99)] = 0
    laps: Annotated[int, Field(ge=0, le=999)] = 0
    status: Annotated[str, Field(min_length=1, max_length=60)]
    fastest_lap_rank: Annotated[int | None, Field(ge=0, le=99)] = None


class ManualResults(ApiModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[ManualRow], Field(min_length=1, max_length=40)]


class DriverOfTheDayIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    driver_id: int = Field(ge=1, le=MAX_ID, description="A driver of the race's season")


class PollOut(ApiModel):
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    ok: bool
    outcome: str
    error: str
    worker: str
    closed_by: str


class RaceStatusOut(ApiModel):
    race_id: int
    season: int
    round: int
    name: str
    status: str
    results_version: int
    last_poll: PollOut | None
    last_success_at: UtcDatetime | None
    next_poll_at: UtcDatetime | None


class PollFailureOut(PollOut):
    race_id: int | None


class TaskRunOut(ApiModel):
    task_name: str
    task_id: str
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    ok: bool
    error: str


class TasksOut(ApiModel):
    recent: list[TaskRunOut]
    failures: list[TaskRunOut]


class QueueOut(ApiModel):
    stream: str
    length: int
    pending: int
    undelivered: int | None
    consumers: int


class FeedOut(ApiModel):
    last_reached_at: UtcDatetime | None


class StatusOut(ApiModel):
    feed: FeedOut
    races: list[RaceStatusOut]
    poll_failures: list[PollFailureOut]
    tasks: TasksOut
    queue: QueueOut


class Queued(ApiModel):
    race_id: int
    task_id: str


def results_out(found: queries.RaceResults) -> ResultsOut:
    """Shape a race's results for the API."""
    return ResultsOut(
        race_id=found.race.id,
        version=found.race.results_version,
        status=str(found.race.status),
        items=[_item(row) for row in found.rows],
    )


def _item(row: RaceResult) -> ResultItem:
    return ResultItem(
        position=row.position,
        position_text=row.position_text,
        driver=DriverRef(id=row.driver.id, ref=row.driver.ref, code=row.driver.code),
        constructor=ResultConstructorRef(id=row.constructor.id, ref=row.constructor.ref),
        grid=row.grid,
        laps=row.laps,
        status=row.status,
        fastest_lap_rank=row.fastest_lap_rank,
        points=row.points,
    )


@api.get("/races/<int:race_id>/results")
@validate_response(ResultsOut)
async def get_results(race_id: int) -> ResultsOut:
    """Return the counting version of a race's results (public; 404 until there are some)."""
    race = await queries.race_with_results(race_id=race_id)
    version = race.results_version

    async def build() -> list[dict[str, Any]]:
        rows = await queries.result_rows(race_id=race_id, version=version)
        return [_item(row).model_dump(mode="json") for row in rows]

    # A version's rows never change, so its entry needs no invalidation.
    items = await cache.cached(key=RACE_RESULTS.key(race_id, f"v{version}"), build=build)
    return ResultsOut(
        race_id=race.id,
        version=version,
        status=str(race.status),
        items=[ResultItem.model_validate(item) for item in items],
    )


@admin_api.put("/admin/races/<int:race_id>/results")
@validate_request(ManualResults)
@validate_response(ResultsOut)
async def put_results(race_id: int, data: ManualResults) -> ResultsOut:
    """Enter or correct a race's results as a new version; rescoring follows (admins only)."""
    admin = await require_admin()
    items = [ManualItem(**row.model_dump()) for row in data.items]
    await enter_results(race_id=race_id, items=items, admin_id=admin.id, now=app_now())
    return results_out(await queries.race_results(race_id=race_id))


@admin_api.put("/admin/races/<int:race_id>/driver-of-the-day")
@validate_request(DriverOfTheDayIn)
@validate_response(RaceOut)
async def put_driver_of_the_day(race_id: int, data: DriverOfTheDayIn) -> RaceOut:
    """Set a race's Driver of the Day; the race is rescored with it (admins only)."""
    await set_driver_of_the_day(race_id=race_id, driver_id=data.driver_id, now=app_now())
    return race_out(await catalogue.get_race(race_id=race_id))


@admin_api.delete("/admin/races/<int:race_id>/driver-of-the-day")
@validate_response(RaceOut)
async def delete_driver_of_the_day(race_id: int) -> RaceOut:
    """Clear a race's Driver of the Day; the race is rescored without it (admins only)."""
    await set_driver_of_the_day(race_id=race_id, driver_id=None, now=app_now())
    return race_out(await catalogue.get_race(race_id=race_id))


@admin_api.post("/admin/races/<int:race_id>/poll")
@validate_response(Queued, 202)
async def poll_now(race_id: int) -> tuple[Queued, int]:
    """Queue a poll of the race now, whatever the schedule (admins only)."""
    task_id = await queue_poll(race_id=race_id)
    return Queued(race_id=race_id, task_id=task_id), 202


async def status_data() -> dict[str, Any]:
    """Return what the status endpoint and page show."""
    settings = current_app.config["SETTINGS"]
    return await queries.admin_status(
        redis=get_redis(),
        offsets_hours=settings.verify_offsets_hours,
        stream=QUEUE_STREAM,
        group=QUEUE_GROUP,
        now=app_now(),
    )


@admin_api.get("/admin/status")
@validate_response(StatusOut)
async def status() -> StatusOut:
    """Return the feed's state, the last poll per race, failures and the queue depth."""
    return StatusOut.model_validate(await status_data())

"""Results versions API: every version of a race's results, and what changed between two."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from webapp.auth.current import current_user
from webapp.converters import MAX_ID
from webapp.errors import AppError
from webapp.schemas import ApiModel, UtcDatetime
from webapp.stats.versions import compare_versions, race_timeline

api = Blueprint("stats_api", __name__)


class ResultVersionOut(ApiModel):
    version: int
    label: str
    source: str
    at: UtcDatetime
    changed_drivers: int


class ResultVersionsOut(ApiModel):
    race_id: int
    status: str
    results_version: int
    items: list[ResultVersionOut]


class VersionDiffArgs(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_version: int | None = Field(default=None, alias="from", ge=1, le=MAX_ID)
    to: int | None = Field(default=None, ge=1, le=MAX_ID)


class VersionDriverRef(ApiModel):
    id: int
    ref: str
    code: str


class FieldChangeOut(ApiModel):
    session: str
    field: str
    old: str | int | bool | None
    new: str | int | bool | None


class DriverChangeOut(ApiModel):
    driver: VersionDriverRef
    changes: list[FieldChangeOut]


class AssetChangeOut(ApiModel):
    kind: str
    id: int
    name: str
    captain: bool
    touched: bool
    old_points: int
    new_points: int


class TeamChangeOut(ApiModel):
    team_id: int
    name: str
    game: str
    touched_driver_ids: list[int]
    touched_constructor_ids: list[int]
    old_points: int
    new_points: int
    assets: list[AssetChangeOut]


class VersionDiffOut(ApiModel):
    race_id: int
    from_version: int
    to_version: int
    items: list[DriverChangeOut]
    teams: list[TeamChangeOut]


@api.get("/races/<int:race_id>/versions")
@validate_response(ResultVersionsOut)
async def versions(race_id: int) -> ResultVersionsOut:
    """List every version of a race's results (provisional, revised) and when it went final."""
    timeline = await race_timeline(race_id=race_id)
    return ResultVersionsOut(
        race_id=timeline.race.id,
        status=str(timeline.race.status),
        results_version=timeline.race.results_version,
        items=[
            ResultVersionOut(
                version=e.version,
                label=e.label,
                source=e.source,
                at=e.at,
                changed_drivers=e.changed_drivers,
            )
            for e in timeline.entries
        ],
    )


@api.get("/races/<int:race_id>/versions/diff")
@validate_querystring(VersionDiffArgs)
@validate_response(VersionDiffOut)
async def version_diff(race_id: int, query_args: VersionDiffArgs) -> VersionDiffOut:
    """Say what changed between two versions and, for the caller's teams, points before/after."""
    user = await current_user()
    diff = await compare_versions(
        race_id=race_id,
        old=query_args.from_version,
        new=query_args.to,
        user_id=user.id if user else None,
    )
    if diff is None:
        raise AppError.not_found("These results have a single version")
    return VersionDiffOut(
        race_id=race_id,
        from_version=diff.old,
        to_version=diff.new,
        items=[
            DriverChangeOut(
                driver=VersionDriverRef(id=d.driver.id, ref=d.driver.ref, code=d.driver.code),
                changes=[
                    FieldChangeOut(session=c.session, field=c.name, old=c.old, new=c.new)
                    for c in d.changes
                ],
            )
            for d in diff.drivers
        ],
        teams=[
            TeamChangeOut(
                team_id=t.team_id,
                name=t.team_name,
                game=t.game,
                touched_driver_ids=[d.id for d in t.touched],
                touched_constructor_ids=[c.id for c in t.touched_constructors],
                old_points=t.before,
                new_points=t.after,
                assets=[
                    AssetChangeOut(
                        kind=a.kind,
                        id=a.id,
                        name=a.name,
                        captain=a.captain,
                        touched=a.touched,
                        old_points=a.before,
                        new_points=a.after,
                    )
                    for a in t.assets
                ],
            )
            for t in diff.teams
        ],
    )

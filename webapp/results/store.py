"""Store a race weekend's result set as a new version (the first stage of `webapp.pipeline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from webapp.catalogue.upsert import new_constructor_price, new_driver_price
from webapp.errors import AppError
from webapp.models import (
    Constructor,
    Driver,
    Race,
    RaceResult,
    RaceStatus,
    ResultSource,
    ResultVersion,
    SessionResult,
)
from webapp.results.rows import (
    QUALIFYING,
    SPRINT,
    ResultRow,
    ResultSet,
    SessionRow,
    check_rows,
    check_sessions,
    content_hash,
    diff_rows,
    diff_sessions,
)
from webapp.results.sync import LATEST_CONSTRUCTOR_SQL, driver_values

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """The race's current results version after storing, and whether storing made it."""

    race_id: int
    season: int
    version: int
    created: bool
    status: str
    diff: dict[str, Any] = field(default_factory=dict)


async def load_rows(
    *, race_id: int, version: int, conn: BaseDBAsyncClient | None = None
) -> tuple[ResultRow, ...]:
    """Return the stored rows of one version of a race's results."""
    query = RaceResult.filter(race_id=race_id, version=version).select_related(
        "driver", "constructor"
    )
    if conn is not None:
        query = query.using_db(conn)
    return tuple(
        ResultRow(
            driver_ref=r.driver.ref,
            constructor_ref=r.constructor.ref,
            position_text=r.position_text,
            position_order=r.position_order,
            grid=r.grid,
            laps=r.laps,
            status=r.status,
            fastest_lap_rank=r.fastest_lap_rank,
            points=Decimal(r.points),
        )
        for r in await query.order_by("position_order")
    )


async def load_sessions(
    *, race_id: int, version: int, conn: BaseDBAsyncClient | None = None
) -> tuple[SessionRow, ...]:
    """Return the stored qualifying and sprint rows of one version of a race's results."""
    query = SessionResult.filter(race_id=race_id, version=version).select_related(
        "driver", "constructor"
    )
    if conn is not None:
        query = query.using_db(conn)
    # A session's lines are written in classification order, so their ids keep it.
    rows = await query.order_by("session", "id")
    places: dict[str, int] = {}
    out = []
    for r in rows:
        places[r.session] = places.get(r.session, 0) + 1
        out.append(
            SessionRow(
                session=r.session,
                driver_ref=r.driver.ref,
                constructor_ref=r.constructor.ref,
                position_text=r.position_text,
                position_order=places[r.session],
                grid=r.grid,
                fastest_lap_rank=r.fastest_lap_rank,
                reached=r.reached,
            )
        )
    return tuple(out)


async def _ensure_catalogue(
    *, season: int, results: ResultSet, sessions: tuple[SessionRow, ...], conn: BaseDBAsyncClient
) -> tuple[dict[str, int], dict[str, int]]:
    """Return driver and constructor ids by ref, creating the ones the season lacks."""
    lines: tuple[ResultRow | SessionRow, ...] = (*results.rows, *sessions)
    refs = {r.constructor_ref for r in lines}
    constructors = {
        c.ref: c.id for c in await Constructor.filter(season_id=season, ref__in=refs).using_db(conn)
    }
    for ref in sorted(refs - constructors.keys()):
        team = results.constructors.get(ref)
        new_team = await Constructor.create(
            using_db=conn,
            season_id=season,
            ref=ref,
            name=team.name if team else ref.replace("_", " ").title(),
            nationality=team.nationality if team else "",
            price=await new_constructor_price(season=season, conn=conn),
        )
        constructors[ref] = new_team.id
        log.info("constructor created from results", extra={"season": season, "ref": ref})
    refs = {r.driver_ref for r in lines}
    drivers = {
        d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=refs).using_db(conn)
    }
    by_driver = {r.driver_ref: r.constructor_ref for r in reversed(lines)}
    for ref in sorted(refs - drivers.keys()):
        info = results.drivers.get(ref)
        if info is None:
            raise AppError("unknown_driver", f"Unknown driver {ref!r}", field="driver_id")
        created = await Driver.create(
            using_db=conn,
            season_id=season,
            ref=ref,
            price=await new_driver_price(season=season, conn=conn),
            constructor_id=constructors[by_driver[ref]],
            **driver_values(info),
        )
        drivers[ref] = created.id
        log.info("driver created from results", extra={"season": season, "ref": ref})
    return drivers, constructors


def _sessions_to_store(
    results: ResultSet, *, kept: tuple[SessionRow, ...]
) -> tuple[SessionRow, ...]:
    """Return the sessions the new version holds: those given, else those of the current one."""
    out: list[SessionRow] = []
    for session, given in ((QUALIFYING, results.qualifying), (SPRINT, results.sprint)):
        out.extend(given if given is not None else (r for r in kept if r.session == session))
    return tuple(sorted(out, key=lambda r: (r.session, r.position_order)))


async def store_version(
    *,
    race_id: int,
    results: ResultSet,
    source: ResultSource,
    created_by_id: int | None,
    now: datetime,
) -> StoredVersion:
    """Write a new version when the rows differ from the current ones; return what was done.

    Call it inside the transaction that goes on to rescore: the race row stays locked until
    that commits. A feed payload equal to the feed's own latest version changes nothing, so
    an admin's correction holds until the feed itself changes.
    """
    check_rows(results.rows)
    check_sessions(results.sessions)
    async with in_transaction() as conn:
        race = await Race.filter(id=race_id).select_for_update().using_db(conn).first()
        if race is None:
            raise AppError.not_found("No such race")
        season: int = race.season_id
        versions = await ResultVersion.filter(race_id=race_id).order_by("-version").using_db(conn)
        current = next((v for v in versions if v.version == race.results_version), None)
        last_feed = next((v for v in versions if v.source == ResultSource.FEED), None)
        old_sessions = (
            await load_sessions(race_id=race_id, version=current.version, conn=conn)
            if current
            else None
        )
        sessions = _sessions_to_store(results, kept=old_sessions or ())
        digest = content_hash(results.rows, sessions)
        unchanged = StoredVersion(race_id, season, race.results_version, False, str(race.status))
        if current is not None and current.content_hash == digest:
            return unchanged
        if (
            source == ResultSource.FEED
            and last_feed is not None
            and last_feed.content_hash == digest
        ):
            return unchanged
        old_rows = (
            await load_rows(race_id=race_id, version=current.version, conn=conn)
            if current
            else None
        )
        drivers, constructors = await _ensure_catalogue(
            season=season, results=results, sessions=sessions, conn=conn
        )
        version = max([race.results_version, *(v.version for v in versions)]) + 1
        diff = diff_rows(old_rows, results.rows)
        for ref, changes in diff_sessions(old_sessions, sessions).items():
            diff.setdefault(ref, {}).update(changes)
        await ResultVersion.create(
            using_db=conn,
            race_id=race_id,
            version=version,
            content_hash=digest,
            source=source,
            diff=diff,
            created_by_id=created_by_id,
            created_at=now,
        )
        await RaceResult.bulk_create(
            [
                RaceResult(
                    race_id=race_id,
                    version=version,
                    driver_id=drivers[row.driver_ref],
                    constructor_id=constructors[row.constructor_ref],
                    position=row.position,
                    position_text=row.position_text,
                    position_order=row.position_order,
                    grid=row.grid,
                    laps=row.laps,
                    status=row.status,
                    fastest_lap_rank=row.fastest_lap_rank,
                    points=row.points,
                )
                for row in results.rows
            ],
            using_db=conn,
        )
        # In classification order: the ids keep it (see load_sessions).
        await SessionResult.bulk_create(
            [
                SessionResult(
                    race_id=race_id,
                    version=version,
                    session=row.session,
                    driver_id=drivers[row.driver_ref],
                    constructor_id=constructors[row.constructor_ref],
                    position=row.position,
                    position_text=row.position_text,
                    grid=row.grid,
                    fastest_lap_rank=row.fastest_lap_rank,
                    reached=row.reached,
                    disqualified=row.disqualified,
                )
                for row in sessions
            ],
            using_db=conn,
        )
        race.results_version = version
        race.results_changed_at = now
        if race.status in (RaceStatus.SCHEDULED, RaceStatus.LOCKED):
            race.status = RaceStatus.PROVISIONAL
        await race.save(
            using_db=conn, update_fields=["results_version", "results_changed_at", "status"]
        )
        await conn.execute_query(LATEST_CONSTRUCTOR_SQL, [season])
    log.info(
        "results stored",
        extra={
            "race_id": race_id,
            "version": version,
            "source": str(source),
            "changed_drivers": len(diff),
        },
    )
    return StoredVersion(race_id, season, version, True, str(race.status), diff)

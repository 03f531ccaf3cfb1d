"""Store a race's result set as a new version, in one transaction with its rescoring."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from webapp import cache
from webapp.errors import AppError
from webapp.models import (
    Constructor,
    Driver,
    Race,
    RaceResult,
    RaceStatus,
    ResultSource,
    ResultVersion,
    Team,
)
from webapp.notifications.producers import notify_rank_changes
from webapp.notifications.service import (
    NewNotification,
    create_notifications,
    publish_results,
    results_notifications,
)
from webapp.results.rows import ResultRow, ResultSet, check_rows, content_hash, diff_rows
from webapp.results.sync import LATEST_CONSTRUCTOR_SQL, driver_values, new_driver_price
from webapp.scoring.rescore import RescoreResult, rescore_scores

log = logging.getLogger(__name__)


@dataclass
class StoreOutcome:
    race_id: int
    season: int
    version: int
    created: bool
    status: str
    diff: dict[str, Any] = field(default_factory=dict)
    rescore: RescoreResult | None = None
    notified: list[NewNotification] = field(default_factory=list)


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


async def _ensure_catalogue(
    *, season: int, results: ResultSet, conn: BaseDBAsyncClient
) -> tuple[dict[str, int], dict[str, int]]:
    """Return driver and constructor ids by ref, creating the ones the season lacks."""
    refs = {r.constructor_ref for r in results.rows}
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
        )
        constructors[ref] = new_team.id
        log.info("constructor created from results", extra={"season": season, "ref": ref})
    refs = {r.driver_ref for r in results.rows}
    drivers = {
        d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=refs).using_db(conn)
    }
    by_driver = {r.driver_ref: r.constructor_ref for r in results.rows}
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


async def store_results(
    *,
    race_id: int,
    results: ResultSet,
    source: ResultSource,
    created_by_id: int | None = None,
    now: datetime | None = None,
) -> StoreOutcome:
    """Write a new version when the rows differ from the current ones, and rescore the race.

    Results, the race's new version, team scores and notifications commit together, so a
    crash at any point leaves the previous state and a redelivered task does all of it again.
    A feed payload equal to the feed's own latest version changes nothing, so an admin's
    correction holds until the feed itself changes.
    """
    check_rows(results.rows)
    digest = content_hash(results.rows)
    now = now or datetime.now(UTC)
    async with in_transaction() as conn:
        race = await Race.filter(id=race_id).select_for_update().using_db(conn).first()
        if race is None:
            raise AppError.not_found("No such race")
        season: int = race.season_id
        versions = await ResultVersion.filter(race_id=race_id).order_by("-version").using_db(conn)
        current = next((v for v in versions if v.version == race.results_version), None)
        last_feed = next((v for v in versions if v.source == ResultSource.FEED), None)
        unchanged = StoreOutcome(race_id, season, race.results_version, False, str(race.status))
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
        drivers, constructors = await _ensure_catalogue(season=season, results=results, conn=conn)
        version = max([race.results_version, *(v.version for v in versions)]) + 1
        diff = diff_rows(old_rows, results.rows)
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
        race.results_version = version
        race.results_changed_at = now
        if race.status in (RaceStatus.SCHEDULED, RaceStatus.LOCKED):
            race.status = RaceStatus.PROVISIONAL
        await race.save(
            using_db=conn, update_fields=["results_version", "results_changed_at", "status"]
        )
        await conn.execute_query(LATEST_CONSTRUCTOR_SQL, [season])
        rescore = await rescore_scores(race_id=race_id)
        names = dict(
            await Team.filter(id__in=[c.team_id for c in rescore.changes])
            .using_db(conn)
            .values_list("id", "name")
        )
        notified = await create_notifications(
            results_notifications(
                race_id=race_id,
                race_name=race.name,
                version=version,
                changes=rescore.changes,
                team_names=names,
            ),
            now=now,
        )
        notified += await notify_rank_changes(rescore=rescore, version=version, now=now)
    log.info(
        "results stored",
        extra={
            "race_id": race_id,
            "version": version,
            "source": str(source),
            "changed_drivers": len(diff),
        },
    )
    await _after_commit(
        race=race, season=season, version=version, rescore=rescore, notified=notified
    )
    return StoreOutcome(race_id, season, version, True, str(race.status), diff, rescore, notified)


async def _after_commit(
    *,
    race: Race,
    season: int,
    version: int,
    rescore: RescoreResult,
    notified: list[NewNotification],
) -> None:
    """Bring leaderboards up to date and tell live pages; both can be rebuilt if this fails."""
    # New drivers or constructors may have come with the results.
    await cache.bump(cache.DRIVERS)
    try:
        from webapp.leaderboards.refresh import refresh_after_rescore

        await refresh_after_rescore(rescore)
    except Exception:
        log.exception("leaderboard refresh failed; the rebuild task will repair it")
    await publish_results(
        race_id=race.id,
        season=season,
        version=version,
        status=str(race.status),
        scores_changed=bool(rescore.changes or rescore.removed_team_ids),
        notified=notified,
    )

"""The results pipeline: what happens, in order, when a race's results or standing change.

    store → rescore → price → notify → commit → boards → publish

The first four stages share one transaction, so a crash anywhere before the commit leaves
the previous state and a redelivered task runs all of it again. Boards and live pages come
after the commit: both can be rebuilt from PostgreSQL, so a failure there is logged, not
undone. The feed poll, an admin's manual entry, an admin's status change (cancel, un-cancel,
re-open), an admin's Driver of the Day and `paddock results poll` all come through here.
Prices move only when results are stored, once per race (webapp/market/changes.py):
rescoring a race for any other reason never re-prices it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from webapp import cache, gameclock
from webapp.games import registry
from webapp.games.rescoring import rescore_game
from webapp.leaderboards.refresh import refresh_after_rescore
from webapp.market.changes import price_race
from webapp.models import Race, RaceStatus, ResultSource
from webapp.notifications.producers import notify_results
from webapp.notifications.service import NewNotification, publish_results
from webapp.results.rows import ResultSet
from webapp.results.store import StoredVersion, store_version
from webapp.scoring.rescore import RescoreResult
from webapp.scoring.systems import DEFAULT_SYSTEM

log = logging.getLogger(__name__)


@dataclass
class StoreOutcome:
    """What storing a result set led to: the stored version, and the rest when it is new."""

    stored: StoredVersion
    # One per registered game, in the registry's order.
    rescores: list[RescoreResult] = field(default_factory=list)
    notified: list[NewNotification] = field(default_factory=list)
    # Price rows written per game with a market: none once the race has been priced.
    priced: dict[str, int] = field(default_factory=dict)

    @property
    def rescore(self) -> RescoreResult | None:
        """Return what rescoring the default game did, if the results were new."""
        return next((r for r in self.rescores if r.system == DEFAULT_SYSTEM), None)


async def store_results(
    *,
    race_id: int,
    results: ResultSet,
    source: ResultSource,
    created_by_id: int | None = None,
    now: datetime | None = None,
) -> StoreOutcome:
    """Store a result set as a new version when it differs, then run the rest of the pipeline."""
    now = now or gameclock.now()
    async with in_transaction():
        stored = await store_version(
            race_id=race_id,
            results=results,
            source=source,
            created_by_id=created_by_id,
            now=now,
        )
        outcome = StoreOutcome(stored)
        if not stored.created:
            return outcome
        outcome.rescores = await rescore_games(race_id=race_id)
        outcome.priced = await price_race(race_id=race_id, season_id=stored.season)
        # Notifications are stamped when the player gets them, in real time (on a replay
        # `now` is the season's time), so the inbox keeps one order.
        for rescore in outcome.rescores:
            outcome.notified += await notify_results(rescore=rescore, version=stored.version)
    # New drivers or constructors may have come with the results.
    await cache.bump(cache.DRIVERS)
    await _boards_and_publish(
        status=stored.status,
        version=stored.version,
        rescores=outcome.rescores,
        notified=outcome.notified,
    )
    return outcome


async def rescore_games(*, race_id: int) -> list[RescoreResult]:
    """Rescore a race for every registered game, in the caller's transaction."""
    return [await rescore_game(race_id=race_id, game=game) for game in registry.all()]


async def rescore_race(
    *,
    race_id: int,
    system: str = DEFAULT_SYSTEM,
    now: datetime | None = None,
    change: Callable[[], Awaitable[object]] | None = None,
) -> RescoreResult:
    """Rescore a race for every game's teams, then run the rest; return `system`'s run.

    `change`, when given, runs first in the rescoring's transaction (an admin's Driver of
    the Day): the change and the scores it leads to commit together, or neither does.
    """
    registry.get(system)
    async with in_transaction():
        if change is not None:
            await change()
        rescores = await rescore_games(race_id=race_id)
        race = await Race.get(id=race_id)
        notified: list[NewNotification] = []
        for rescore in rescores:
            notified += await notify_results(rescore=rescore, version=race.results_version, now=now)
    await _boards_and_publish(
        status=str(race.status), version=race.results_version, rescores=rescores, notified=notified
    )
    return next(r for r in rescores if r.system == system)


def changes_scores(old: RaceStatus, new: RaceStatus) -> bool:
    """Tell whether a status move changes what a race scores (cancelled races score nothing)."""
    return (old == RaceStatus.CANCELLED) != (new == RaceStatus.CANCELLED)


async def race_status_changed(*, race: Race, previous: RaceStatus) -> None:
    """Rescore and announce a race whose status an admin just moved."""
    if changes_scores(previous, RaceStatus(race.status)):
        await rescore_race(race_id=race.id)
        return
    # Nothing scores differently (a re-opened final race, a lock by hand): tell live pages.
    await publish_results(
        race_id=race.id,
        season=race.season_id,
        version=race.results_version,
        status=str(race.status),
        changed_games=(),
        notified=[],
    )


async def _boards_and_publish(
    *, status: str, version: int, rescores: list[RescoreResult], notified: list[NewNotification]
) -> None:
    """Bring leaderboards up to date, then tell live pages; both can be rebuilt if this fails."""
    for rescore in rescores:
        try:
            await refresh_after_rescore(rescore)
        except Exception:
            log.exception("leaderboard refresh failed; the rebuild task will repair it")
    first = rescores[0]
    await publish_results(
        race_id=first.race_id,
        season=first.season,
        version=version,
        status=status,
        # Each game whose points moved, so only that game's live boards redraw.
        changed_games=[r.system for r in rescores if r.changes or r.removed_team_ids],
        notified=notified,
    )

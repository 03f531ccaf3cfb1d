"""Poll the feed for races' results, store what changed, and finalise verified races."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise import connections

from webapp import cache, gameclock
from webapp.errors import AppError
from webapp.models import FeedPoll, Race, RaceStatus, ResultSource
from webapp.pipeline import store_results
from webapp.redis import get_redis
from webapp.results.feed import FeedClient, FeedError
from webapp.results.feed_models import FeedRace
from webapp.results.metrics import FEED_POLLS
from webapp.results.rows import ResultsInvalid, from_feed
from webapp.results.timetable import (
    CLOSED,
    UNREACHABLE,
    RaceClock,
    feed_resumes_at,
    is_due,
    verified,
)

log = logging.getLogger(__name__)

NEVER_REACHED = "never"
NEVER_TTL_SECONDS = 60
# Every page's footer shows it: kept a few seconds per process (a poll here drops it).
LAST_REACHED = cache.Local("feed-last-reached", seconds=5.0)
# Every page's header says when the feed is unreachable: kept the same way.
OUTAGE = cache.Local("feed-outage", seconds=5.0)
NOT_KEPT = object()
# Outcomes of a poll that reached the feed and got a usable answer.
OK_OUTCOMES = ("new_version", "unchanged", "no_results")
ABANDONED = "abandoned"
# A poll this long without an end lost its worker: by then its task went to another one.
DEFAULT_ABANDON_AFTER = timedelta(minutes=5)

CLOCKS_SQL = """
SELECT r.id, r.starts_at, r.status, r.last_polled_at,
       (SELECT min(v.created_at) FROM result_versions v WHERE v.race_id = r.id) AS results_at,
       (SELECT max(p.started_at) FROM feed_polls p WHERE p.race_id = r.id AND p.ok) AS last_ok_at
FROM races r
WHERE r.starts_at <= $1 AND r.status NOT IN ('final', 'cancelled') {extra}
ORDER BY r.starts_at, r.id
"""
# The polls that could not reach the feed since the last one that did (a bad answer, too,
# came from the feed; an abandoned poll, or one the request budget stopped, tells nothing).
OUTAGE_SQL = """
SELECT min(p.started_at) AS since, max(p.started_at) AS latest
FROM feed_polls p
WHERE p.finished_at IS NOT NULL AND p.outcome = ANY($1::text[])
  AND p.started_at > coalesce(
    (SELECT max(q.started_at) FROM feed_polls q
     WHERE q.finished_at IS NOT NULL
       AND q.outcome <> ALL($1::text[]) AND q.outcome <> ALL($2::text[])),
    '-infinity'::timestamptz)
"""


@dataclass(frozen=True, slots=True)
class PollOutcome:
    race_id: int
    outcome: str
    ok: bool
    version: int
    error: str = ""
    finalised: bool = False


@dataclass(frozen=True, slots=True)
class FeedOutage:
    """The feed could not be reached by any poll since `since`; polls resume at `resumes_at`."""

    since: datetime
    last_failure_at: datetime
    resumes_at: datetime


async def race_clocks(*, now: datetime, race_id: int | None = None) -> dict[int, RaceClock]:
    """Return the timetable inputs of every started race not yet final (or of one race)."""
    extra, params = ("AND r.id = $2", [now, race_id]) if race_id is not None else ("", [now])
    rows = await connections.get("default").execute_query_dict(
        CLOCKS_SQL.format(extra=extra), params
    )
    return {
        row["id"]: RaceClock(
            starts_at=row["starts_at"],
            status=RaceStatus(row["status"]),
            results_at=row["results_at"],
            last_ok_at=row["last_ok_at"],
            last_attempt_at=row["last_polled_at"],
        )
        for row in rows
    }


def this_worker() -> str:
    """Name this process as polls record it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def close_abandoned_polls(
    *,
    now: datetime,
    abandon_after: timedelta = DEFAULT_ABANDON_AFTER,
    closed_by: str,
    race_id: int | None = None,
) -> int:
    """Close polls left unfinished longer than `abandon_after` as abandoned; return how many."""
    # Polls are stamped in game time, but a worker's death is measured in real time: on a
    # replay five real minutes are days of the season.
    before = gameclock.real_ago(abandon_after, now=now)
    stale = FeedPoll.filter(finished_at__isnull=True, started_at__lt=before)
    if race_id is not None:
        stale = stale.filter(race_id=race_id)
    closed = await stale.update(
        finished_at=now,
        ok=False,
        outcome=ABANDONED,
        closed_by=closed_by,
        error=f"not finished within {abandon_after.total_seconds():.0f} s: its worker stopped",
    )
    if closed:
        FEED_POLLS.labels(ABANDONED).inc(closed)
        log.warning("abandoned polls closed", extra={"count": closed, "race_id": race_id})
    return int(closed)


async def poll_race(
    *,
    race_id: int,
    client: FeedClient,
    offsets_hours: Sequence[float],
    now: datetime | None = None,
    abandon_after: timedelta = DEFAULT_ABANDON_AFTER,
    worker: str | None = None,
) -> PollOutcome:
    """Fetch one race's results, store a new version if they changed, and record the attempt.

    The weekend's qualifying (and sprint, on a sprint weekend) is fetched with the race and
    stored in the same version; a race without results yet stores nothing.
    """
    now = now or gameclock.now()
    worker = worker or this_worker()
    race = await Race.get_or_none(id=race_id)
    if race is None:
        raise AppError.not_found("No such race")
    # A poll of this race that a killed worker left open is closed before a new one starts.
    await close_abandoned_polls(
        now=now, abandon_after=abandon_after, closed_by=worker, race_id=race_id
    )
    poll = await FeedPoll.create(race_id=race_id, started_at=now, worker=worker)
    version, error, finalised = race.results_version, "", False
    try:
        feed_race = await client.results(race.season_id, race.round)
        if feed_race is None or not feed_race.Results:
            outcome = "no_results"
        elif (feed_race.season, feed_race.round) != (race.season_id, race.round):
            raise ResultsInvalid(
                {"race": f"feed answered {feed_race.season} round {feed_race.round}"}
            )
        else:
            results = from_feed(
                feed_race,
                qualifying=await _session(client.qualifying, race),
                sprint=await _session(client.sprint, race) if race.sprint_at else None,
            )
            stored = (
                await store_results(
                    race_id=race_id, results=results, source=ResultSource.FEED, now=now
                )
            ).stored
            outcome, version = ("new_version" if stored.created else "unchanged"), stored.version
    except FeedError as exc:
        outcome, error = exc.kind, str(exc)
    except ResultsInvalid as exc:
        outcome, error = "invalid", str(exc)
        log.warning("feed results rejected", extra={"race_id": race_id, "problems": exc.problems})
    ok = outcome in OK_OUTCOMES
    if ok and version and outcome != "no_results":
        finalised = await _finalise_if_verified(
            race_id=race_id, offsets_hours=offsets_hours, now=now
        )
    poll.finished_at = gameclock.now()
    poll.ok, poll.outcome, poll.error = ok, outcome, error
    await poll.save(update_fields=["finished_at", "ok", "outcome", "error"])
    await Race.filter(id=race_id).update(last_polled_at=now)
    if ok:
        # The header's last contact with the feed is a real time, also on a replay.
        reached = gameclock.real_time(now)
        await get_redis().set(cache.FEED_LAST_REACHED.redis_key, reached.isoformat())
        LAST_REACHED.forget(None)
    OUTAGE.forget(None)
    FEED_POLLS.labels(outcome).inc()
    return PollOutcome(race_id, outcome, ok, version, error, finalised)


async def _session(
    fetch: Callable[[int, int], Awaitable[FeedRace | None]], race: Race
) -> FeedRace | None:
    """Return a weekend session from the feed, or None when the feed has none for the race yet.

    A 404 reads as "none yet" too; any other failure (a bad page, an outage) fails the whole
    poll, so nothing of the weekend is stored from a partial answer.
    """
    try:
        found = await fetch(race.season_id, race.round)
    except FeedError as exc:
        if exc.kind == "not_found":
            return None
        raise
    if found is not None and (found.season, found.round) != (race.season_id, race.round):
        raise ResultsInvalid({"race": f"feed answered {found.season} round {found.round}"})
    return found


async def _finalise_if_verified(
    *, race_id: int, offsets_hours: Sequence[float], now: datetime
) -> bool:
    clock = (await race_clocks(now=now, race_id=race_id)).get(race_id)
    if clock is None or clock.status in CLOSED or not verified(clock, offsets_hours, polled_at=now):
        return False
    updated = await Race.filter(id=race_id, status__not_in=list(CLOSED)).update(
        status=RaceStatus.FINAL, finalised_at=now
    )
    if updated:
        log.info("race final", extra={"race_id": race_id})
    return bool(updated)


async def due_races(*, offsets_hours: Sequence[float], now: datetime) -> list[int]:
    """Return the ids of races the timetable says to poll now."""
    clocks = await race_clocks(now=now)
    return [race_id for race_id, clock in clocks.items() if is_due(clock, offsets_hours, now=now)]


async def poll_due_races(
    *,
    client: FeedClient,
    offsets_hours: Sequence[float],
    now: datetime | None = None,
    abandon_after: timedelta = DEFAULT_ABANDON_AFTER,
) -> list[PollOutcome]:
    """Poll every race that is due, one after another (the budget paces them).

    None while the feed is unreachable, until FEED_BACKOFF after the last failure to reach it.
    """
    now = now or gameclock.now()
    outage = await feed_outage()
    if outage is not None and gameclock.real_time(now) < outage.resumes_at:
        log.info(
            "feed unreachable: no poll before %s",
            outage.resumes_at.isoformat(),
            extra={"since": outage.since.isoformat(), "resumes_at": outage.resumes_at.isoformat()},
        )
        return []
    outcomes = []
    for race_id in await due_races(offsets_hours=offsets_hours, now=now):
        outcome = await poll_race(
            race_id=race_id,
            client=client,
            offsets_hours=offsets_hours,
            now=now,
            abandon_after=abandon_after,
        )
        outcomes.append(outcome)
        if outcome.outcome in UNREACHABLE:
            break  # the other races would only ask the same unreachable feed
    return outcomes


async def feed_outage() -> FeedOutage | None:
    """Return the feed's outage: the polls since the last that reached it all failed to."""
    rows = await connections.get("default").execute_query_dict(
        OUTAGE_SQL, [list(UNREACHABLE), [ABANDONED, "budget"]]
    )
    since, latest = (rows[0]["since"], rows[0]["latest"]) if rows else (None, None)
    # Polls are stamped in game time; the feed's outage and its back-off are real time.
    since = gameclock.real_time(since) if since is not None else None
    latest = gameclock.real_time(latest) if latest is not None else None
    resumes_at = feed_resumes_at(last_unreachable_at=latest)
    if since is None or latest is None or resumes_at is None:
        return None
    return FeedOutage(since=since, last_failure_at=latest, resumes_at=resumes_at)


async def kept_feed_outage() -> FeedOutage | None:
    """Return the feed's outage as every page's header shows it, kept a few seconds."""
    remembered: object = OUTAGE.get(None, NOT_KEPT)
    if remembered is None or isinstance(remembered, FeedOutage):
        return remembered
    outage = await feed_outage()
    OUTAGE.put(None, outage)
    return outage


async def feed_last_reached() -> datetime | None:
    """Return when a poll last got a usable answer from the feed."""
    remembered: object = LAST_REACHED.get(None, NOT_KEPT)
    if remembered is None or isinstance(remembered, datetime):
        return remembered
    reached = await _last_reached()
    LAST_REACHED.put(None, reached)
    return reached


async def _last_reached() -> datetime | None:
    redis = get_redis()
    value = await redis.get(cache.FEED_LAST_REACHED.redis_key)
    if value:
        return None if value == NEVER_REACHED else datetime.fromisoformat(str(value))
    # Redis lost the key (or no poll has succeeded yet): every page shows this, so the
    # answer from PostgreSQL is kept until a successful poll writes a newer one.
    row = await FeedPoll.filter(ok=True).order_by("-started_at").first()
    if row is None:
        await redis.set(
            cache.FEED_LAST_REACHED.redis_key, NEVER_REACHED, ex=NEVER_TTL_SECONDS, nx=True
        )
        return None
    reached = gameclock.real_time(row.started_at)
    await redis.set(cache.FEED_LAST_REACHED.redis_key, reached.isoformat(), nx=True)
    return reached

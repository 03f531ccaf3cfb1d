"""Start-up work every process (web, worker, scheduler) does before it serves."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime

from tortoise.transactions import in_transaction

from webapp import gameclock
from webapp.catalogue.loader import load_season
from webapp.models import Replay, Season
from webapp.replay import timeline
from webapp.replay.state import replay_clock, start_replay
from webapp.settings import Settings

log = logging.getLogger(__name__)
# How often a running process looks whether its replay was started over (by an admin).
FOLLOW_EVERY_SECONDS = 5.0
# Held while a process checks for and loads the replayed season, so that processes
# booting together do not insert the same catalogue rows at once.
LOAD_LOCK = 0x50414444


async def join_replay(*, settings: Settings, now: datetime) -> Replay | None:
    """With REPLAY set, load its season if missing, join the shared replay and use its clock."""
    if settings.replay is None:
        return None
    season = settings.replay
    timeline.bundle(season)  # refuses, naming `season`, one that cannot be replayed
    async with in_transaction() as conn:
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [LOAD_LOCK])
        if not await Season.exists(year=season):
            await load_season(path=timeline.season_file(season))
    replay = await start_replay(
        season=season, minutes_per_race=settings.replay_minutes_per_race, now=now
    )
    gameclock.use(replay_clock(replay))
    return replay


async def follow_replay(*, season: int) -> bool:
    """Put the process on the replay's clock again if its row moved; tell whether it had to."""
    replay = await Replay.get_or_none(season_id=season)
    if replay is None:
        return False
    clock = replay_clock(replay)
    if clock == gameclock.current():
        return False
    gameclock.use(clock)
    log.info(
        "replay clock moved",
        extra={
            "season": season,
            "began_at": replay.began_at.isoformat(),
            "restarts": replay.restarts,
        },
    )
    return True


async def keep_following(*, season: int) -> None:
    """Follow the replay row of `season` for as long as the process runs."""
    while True:
        await asyncio.sleep(FOLLOW_EVERY_SECONDS)
        try:
            await follow_replay(season=season)
        except Exception:  # a database hiccup must not stop the process following
            log.warning("cannot read the replay", exc_info=True)


def start_following(replay: Replay | None) -> asyncio.Task[None] | None:
    """Start following the replay the process joined, if it joined one."""
    if replay is None:
        return None
    return asyncio.create_task(keep_following(season=replay.season_id), name="replay-clock")


async def stop_following(task: asyncio.Task[None] | None) -> None:
    """Stop following the replay."""
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task

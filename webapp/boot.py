"""Start-up work every process (web, worker, scheduler) does before it serves."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from webapp import gameclock
from webapp.catalogue.loader import load_season
from webapp.models import Replay, Season
from webapp.replay import timeline
from webapp.replay.state import replay_clock, start_replay
from webapp.settings import Settings

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
            await load_season(path=timeline.CATALOGUE / f"season_{season}.json")
    replay = await start_replay(
        season=season, minutes_per_race=settings.replay_minutes_per_race, now=now
    )
    gameclock.use(replay_clock(replay))
    return replay

"""The replay a deployment runs: one row per season that every process reads its clock from."""

from __future__ import annotations

import math
from datetime import datetime

from tortoise import connections

from webapp.errors import AppError
from webapp.gameclock import ReplayClock
from webapp.models import Replay, Season
from webapp.replay import timeline

# The unique season key makes concurrent starts (web, worker, scheduler booting together)
# agree: one insert wins, the others change nothing and read the winner's start time.
INSERT_SQL = """
INSERT INTO replays (season_id, began_at, minutes_per_race, created_at, restarts)
VALUES ($1, $2, $3, $2, 0)
ON CONFLICT (season_id) DO NOTHING
"""
# Generated players (webapp/replay/company.py) have addresses at this domain, and only they.
GENERATED_EMAIL_DOMAIN = "replay.example.com"
# Teams of the season not owned by generated players, made before any replay of it: such a
# season was (or is) played for real, and its boards must never take in replay results.
OUTSIDE_TEAMS_SQL = """
SELECT count(*) AS n FROM teams t JOIN users u ON u.id = t.owner_id
WHERE t.season_id = $1 AND u.email NOT LIKE $2
"""


async def _check(*, season: int, minutes_per_race: float | None) -> None:
    """Refuse a season that cannot be replayed or a pace that is not a positive number."""
    timeline.bundle(season)
    if minutes_per_race is not None and not (
        math.isfinite(minutes_per_race) and minutes_per_race > 0
    ):
        raise AppError(
            "validation_error",
            "minutes_per_race must be a positive number",
            field="minutes_per_race",
        )
    if not await Season.exists(year=season):
        raise AppError("validation_error", f"season {season} is not loaded yet", field="season")


async def start_replay(*, season: int, minutes_per_race: float, now: datetime) -> Replay:
    """Start the replay of `season` at real time `now`, or return the one already started.

    A replay already under way keeps its start and pace, so a process restarting mid-season
    joins it instead of moving every other process's clock.
    """
    await _check(season=season, minutes_per_race=minutes_per_race)
    replay = await Replay.get_or_none(season_id=season)
    if replay is not None:
        return replay
    await refuse_real_teams(season=season)
    await connections.get("default").execute_query(
        INSERT_SQL, [season, now, float(minutes_per_race)]
    )
    return await Replay.get(season_id=season)


async def refuse_real_teams(*, season: int) -> None:
    """Refuse to begin replaying a season people have built teams for outside a replay."""
    rows = await connections.get("default").execute_query_dict(
        OUTSIDE_TEAMS_SQL, [season, f"%@{GENERATED_EMAIL_DOMAIN}"]
    )
    count = int(rows[0]["n"])
    if count:
        message = (
            f"season {season} has {count} team(s) created outside a replay; a replay would mix"
            " its results into their leaderboard"
        )
        raise AppError(
            "validation_error", message, details={"fields": {"season": message}}, field="season"
        )


async def restart_replay(
    *, season: int, now: datetime, minutes_per_race: float | None = None
) -> Replay:
    """Start the replay of `season` over from its lead-in at `now`, optionally at a new pace."""
    await _check(season=season, minutes_per_race=minutes_per_race)
    replay = await Replay.get_or_none(season_id=season)
    if replay is None:
        raise AppError.not_found(f"No replay of season {season}")
    replay.began_at = now
    replay.restarts += 1
    if minutes_per_race is not None:
        replay.minutes_per_race = float(minutes_per_race)
    await replay.save(update_fields=["began_at", "restarts", "minutes_per_race"])
    return replay


async def active_replay() -> Replay | None:
    """Return the replay started (or started over) most recently, if there is one."""
    return await Replay.all().order_by("-began_at", "-id").first()


def replay_clock(replay: Replay) -> ReplayClock:
    """Return the clock that maps real time onto the replayed season's races."""
    return ReplayClock(
        race_starts=[r.starts_at for r in timeline.rounds(replay.season_id)],
        began=replay.began_at,
        minutes_per_race=replay.minutes_per_race,
    )

"""Start, or start over, the replay of a bundled season: what the CLI and the admin page call."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from webapp import cache, gameclock
from webapp.catalogue.loader import load_season
from webapp.errors import AppError
from webapp.leaderboards.refresh import rebuild_leaderboards
from webapp.models import League, Replay
from webapp.progress import Progress, quiet
from webapp.replay import state, timeline
from webapp.replay.company import CompanyReport, generate_company
from webapp.replay.state import replay_clock

COMPANY_PLAYERS = 300
# The steps after the season's rows: the clock (and a reset), the standings, the company.
REPLAY_STAGE = "replay: clock, standings, generated players"
MINUTES_MAX = 24 * 60

# A run's results, scores and polls go: the new run's feed brings them back round by round.
RESET_SQL = (
    "DELETE FROM race_results WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    "DELETE FROM result_versions WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    "DELETE FROM team_race_scores WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    "DELETE FROM race_driver_scores WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    "DELETE FROM race_asset_scores WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    # Market prices start again from the starting prices: the new run moves them race by race.
    "DELETE FROM asset_prices WHERE season_id = $1",
    "DELETE FROM feed_polls WHERE race_id IN (SELECT id FROM races WHERE season_id = $1)",
    """UPDATE races SET status = 'scheduled', results_version = 0, last_polled_at = NULL,
       results_changed_at = NULL, finalised_at = NULL WHERE season_id = $1""",
    """UPDATE drivers SET season_points = 0, average_points = 0, form_points = 0
       WHERE season_id = $1""",
    "UPDATE teams SET points = 0, updated_at = now() WHERE season_id = $1",
    # Notifications are deduplicated by race and team: the old run's would silence the new.
    """DELETE FROM notifications WHERE type IN
       ('results_published', 'results_changed', 'lineup_locked', 'rank_changed')
       AND (data->>'team_id')::int IN (SELECT id FROM teams WHERE season_id = $1)""",
    # Each team keeps only its latest lineup, saved as the new run begins ($2): it counts
    # from round 1 instead of from wherever it was saved in the last run.
    """DELETE FROM lineups l USING teams t WHERE l.team_id = t.id AND t.season_id = $1
       AND EXISTS (SELECT 1 FROM lineups n WHERE n.team_id = l.team_id
                   AND (n.saved_at, n.id) > (l.saved_at, l.id))""",
    """UPDATE lineups l SET saved_at = $2 FROM teams t
       WHERE l.team_id = t.id AND t.season_id = $1""",
)


@dataclass(frozen=True)
class ReplayRun:
    """A replay just started: its row, whether it started over, and the company it got."""

    replay: Replay
    restarted: bool
    company: CompanyReport


def replayable_seasons() -> list[int]:
    """Return the bundled seasons that carry results, oldest first."""
    seasons = []
    for path in sorted(timeline.CATALOGUE.glob("season_*.json")):
        year = path.stem.removeprefix("season_")
        if not year.isdigit():
            continue
        try:
            timeline.bundle(int(year))
        except AppError:
            continue
        seasons.append(int(year))
    return seasons


def _check_minutes(minutes_per_race: float) -> float:
    """Return the pace, or refuse one that is not a number of minutes a race can take."""
    if not (math.isfinite(minutes_per_race) and 0 < minutes_per_race <= MINUTES_MAX):
        message = f"minutes_per_race must be more than 0 and at most {MINUTES_MAX}"
        raise AppError(
            "validation_error",
            message,
            details={"fields": {"minutes_per_race": message}},
            field="minutes_per_race",
        )
    return float(minutes_per_race)


async def start_season_replay(
    *,
    season: int,
    minutes_per_race: float,
    now: datetime,
    players: int = COMPANY_PLAYERS,
    progress: Progress = quiet,
) -> ReplayRun:
    """Start the replay of a bundled season at real time `now`, or start it over from round 1."""
    timeline.bundle(season)
    minutes = _check_minutes(minutes_per_race)
    await load_season(path=timeline.season_file(season), progress=progress)
    progress(REPLAY_STAGE, 0, 3)
    async with in_transaction() as conn:
        # Two admins starting the same season at once run one after the other.
        await conn.execute_query(
            "SELECT pg_advisory_xact_lock(hashtext($1))", [f"replay.start:{season}"]
        )
        existing = await Replay.get_or_none(season_id=season)
        if existing is None:
            replay = await state.start_replay(season=season, minutes_per_race=minutes, now=now)
        else:
            replay = await state.restart_replay(season=season, now=now, minutes_per_race=minutes)
            begins = replay_clock(replay).season_time(replay.began_at)
            for sql in RESET_SQL:
                args: list[object] = [season, begins] if "$2" in sql else [season]
                await conn.execute_query(sql, args)
    progress(REPLAY_STAGE, 1, 3)
    if existing is not None:
        await rebuild_leaderboards(season=season)
        leagues = await League.filter(season_id=season).only("id")
        await cache.bump(
            cache.RACES, cache.DRIVERS, *[cache.league_generation(lg.id) for lg in leagues]
        )
    current = gameclock.current()
    if (
        isinstance(current, gameclock.ReplayClock)
        and current.race_starts == replay_clock(replay).race_starts
    ):
        # This process runs on this season's replay: it follows the new start at once.
        gameclock.use(replay_clock(replay))
    progress(REPLAY_STAGE, 2, 3)
    company = await generate_company(season=season, players=players)
    progress(REPLAY_STAGE, 3, 3)
    return ReplayRun(replay=replay, restarted=existing is not None, company=company)

"""Where a replay stands in real time: what the banner and the replay pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp import cache
from webapp.models import Replay
from webapp.replay import timeline
from webapp.replay.state import replay_clock

# Every page shows the banner: the replay is looked up once per process every few seconds,
# and at once after a start in this process (starting loads the season: RACES).
ACTIVE = cache.Local("active-replay", seconds=5.0, depends_on=[cache.RACES])


@dataclass(frozen=True)
class Progress:
    """A replay: its season, the round under way, the next deadline in real time."""

    season: int
    round: int
    rounds: int
    minutes_per_race: float
    next_deadline: datetime | None
    finished: bool

    def seconds_left(self, now: datetime) -> int:
        """Return the whole seconds from real time `now` to the next deadline (0 if none)."""
        if self.next_deadline is None:
            return 0
        return max(int((self.next_deadline - now).total_seconds()), 0)


def clock_text(seconds: int) -> str:
    """Return a countdown as the banner shows it: 4:32, or 1:04:32 past an hour."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


async def _replay_of(season: int) -> Replay | None:
    """Return the replay of `season`, kept a few seconds in this process."""
    held: tuple[Replay | None] | None = ACTIVE.get(season)
    if held is None:
        held = (await Replay.get_or_none(season_id=season),)
        ACTIVE.put(season, held)
    return held[0]


def progress_of(replay: Replay, *, now: datetime) -> Progress:
    """Return where `replay` stands at real time `now`."""
    clock = replay_clock(replay)
    status = timeline.status(season=replay.season_id, now=clock.season_time(now))
    return Progress(
        season=replay.season_id,
        round=status.round,
        rounds=status.rounds,
        minutes_per_race=replay.minutes_per_race,
        next_deadline=clock.real_time(status.next_lock) if status.next_lock else None,
        finished=status.finished,
    )


async def replay_progress(*, season: int | None, now: datetime) -> Progress | None:
    """Return where the replay of `season` stands at real time `now` (None: no replay)."""
    if season is None:
        return None
    replay = await _replay_of(season)
    return progress_of(replay, now=now) if replay is not None else None


async def every_replay(*, now: datetime) -> list[Progress]:
    """Return every replay started, by season, with where each stands at real time `now`."""
    return [progress_of(r, now=now) for r in await Replay.all().order_by("season_id")]

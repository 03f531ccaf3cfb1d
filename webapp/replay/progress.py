"""Where the active replay stands in real time: what the banner and the replay page show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp import cache
from webapp.models import Replay
from webapp.replay import timeline
from webapp.replay.state import active_replay, replay_clock

# Every page shows the banner: the active replay is looked up once per process every few
# seconds, and at once after a start in this process (starting loads the season: RACES).
ACTIVE = cache.Local("active-replay", seconds=5.0, depends_on=[cache.RACES])


@dataclass(frozen=True)
class Progress:
    """The active replay: its season, the round under way, the next deadline in real time."""

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


async def _active() -> Replay | None:
    """Return the active replay, kept a few seconds in this process."""
    held: tuple[Replay | None] | None = ACTIVE.get(None)
    if held is None:
        held = (await active_replay(),)
        ACTIVE.put(None, held)
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


async def replay_progress(*, now: datetime) -> Progress | None:
    """Return where the active replay stands at real time `now`, or None without one."""
    replay = await _active()
    return progress_of(replay, now=now) if replay is not None else None

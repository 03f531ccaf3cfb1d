"""Race locks: which lineup counts for a race, and moving races to `locked` on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.query_utils import Prefetch
from tortoise.transactions import in_transaction

from webapp import cache, gameclock, games
from webapp.market.transfers import is_locked
from webapp.models import Lineup, LineupConstructor, LineupDriver, Race, RaceStatus, Team, TeamChip
from webapp.teams.service import latest_lineup

# Each season's races' (status, lock time): which have locked at a moment, for the keys of
# what a team page keeps. A reschedule or cancellation here drops it at once.
SEASON_LOCKS = cache.Local("season-locks", seconds=5.0, depends_on=[cache.RACES])


@dataclass
class LockedLineup:
    """The lineup a team fielded for a race whose deadline has passed."""

    race: Race
    lineup: Lineup

    @property
    def entries(self) -> list[LineupDriver]:
        """Return the lineup's drivers (loaded), by last name."""
        # A plain list: Jinja's async filters would re-query a relation without its drivers.
        entries: list[LineupDriver] = list(self.lineup.drivers)
        return sorted(entries, key=lambda e: e.driver.last_name)

    @property
    def constructors(self) -> list[LineupConstructor]:
        """Return the lineup's constructors (loaded), by name; none in a classic lineup."""
        entries: list[LineupConstructor] = list(self.lineup.constructors)
        return sorted(entries, key=lambda e: e.constructor.name)


async def lineup_for_race(*, team: Team, race: Race) -> Lineup | None:
    """Return the lineup saved last before the race's lock, or None if there was none."""
    # A team created after the lock has no lineup before it, so it does not score.
    return await latest_lineup(team_id=team.id, before=race.lock_at)


async def locked_lineups(*, team: Team, now: datetime | None = None) -> list[LockedLineup]:
    """Return the team's lineup for each race already locked, latest race first."""
    now = now or gameclock.now()
    season: int = team.season_id
    races = (
        await Race.filter(season_id=season)
        .exclude(status=RaceStatus.CANCELLED)
        .order_by("-lock_at")
    )
    # One read of the history serves every race: walk lineups oldest to newest.
    history = (
        await Lineup.filter(team_id=team.id)
        .order_by("saved_at", "id")
        .prefetch_related(
            Prefetch("drivers", queryset=LineupDriver.all().select_related("driver")),
            Prefetch(
                "constructors", queryset=LineupConstructor.all().select_related("constructor")
            ),
        )
    )
    game = games.get(team.game)
    reverting: set[int] = set()
    if game.market is not None:
        names = [c.name for c in game.market.chips if c.reverts_after_race]
        rows = await TeamChip.filter(team_id=team.id, chip__in=names).values_list("race_id")
        reverting = {int(r[0]) for r in rows}
    shown: list[LockedLineup] = []
    for race in races:
        if not is_locked(race, now=now):
            continue
        # A lineup saved under a reverting chip counted for its own race only.
        counted = [
            lineup
            for lineup in history
            if lineup.saved_at < race.lock_at
            and not (lineup.race_id in reverting and lineup.race_id != race.id)
        ]
        if counted:
            shown.append(LockedLineup(race=race, lineup=counted[-1]))
    return shown


async def locked_race_count(*, season: int, now: datetime) -> int:
    """Return how many of a season's races have locked at `now` (as `is_locked` tells)."""
    races: list[tuple[str, datetime]] | None = SEASON_LOCKS.get(season)
    if races is None:
        rows = await Race.filter(season_id=season).values_list("status", "lock_at")
        races = [(str(status), lock_at) for status, lock_at in rows]
        SEASON_LOCKS.put(season, races)
    return sum(
        status != RaceStatus.CANCELLED and (status != RaceStatus.SCHEDULED or lock_at <= now)
        for status, lock_at in races
    )


async def lock_due_races(*, now: datetime | None = None) -> list[Race]:
    """Move every scheduled race whose lock time has come to `locked`; return those races."""
    now = now or gameclock.now()
    async with in_transaction():
        # skip_locked: a second scheduler run at the same moment locks nothing twice.
        due = await Race.filter(status=RaceStatus.SCHEDULED, lock_at__lte=now).select_for_update(
            skip_locked=True, no_key=True
        )
        if due:
            await Race.filter(id__in=[r.id for r in due]).update(status=RaceStatus.LOCKED)
    for race in due:
        race.status = RaceStatus.LOCKED
    return sorted(due, key=lambda r: (r.lock_at, r.id))

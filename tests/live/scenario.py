"""A small league on the bundled season whose standings a results correction turns over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from webapp.leagues.service import create_league, join_by_code, join_public
from webapp.models import Driver, League, Race, ResultSource, Team, User
from webapp.pipeline import StoreOutcome, store_results
from webapp.results.rows import ResultRow, ResultSet, official_points
from webapp.teams.service import create_team

# Five cheap drivers from five constructors: a legal lineup whatever the captain.
CHEAP = ("bortoleto", "albon", "hadjar", "lawson", "doohan")


@dataclass
class Scenario:
    """Two players, a team each (same drivers, different captains) in one league."""

    race: Race
    alice: User
    bob: User
    alpha: Team  # captain bortoleto
    bravo: Team  # captain albon
    league: League


async def race_one(season: int) -> Race:
    """Return the season's first race."""
    return await Race.get(season_id=season, round=1)


async def cheap_driver_ids(season: int) -> dict[str, int]:
    """Return the ids of the cheap lineup's drivers, by ref."""
    return {d.ref: d.id for d in await Driver.filter(season_id=season, ref__in=CHEAP)}


async def build_league(
    *, season: int, alice: User, bob: User, public: bool = True, name: str = "Friday Club"
) -> Scenario:
    """Enter Alice's and Bob's teams, saved before race one locks, into Alice's league."""
    race = await race_one(season)
    drivers = await cheap_driver_ids(season)
    ids = [drivers[ref] for ref in CHEAP]
    before = race.lock_at - timedelta(days=1)
    alpha = await create_team(
        owner=alice, name="Alpha", driver_ids=ids, captain_id=drivers["bortoleto"], now=before
    )
    bravo = await create_team(
        owner=bob, name="Bravo", driver_ids=ids, captain_id=drivers["albon"], now=before
    )
    league = await create_league(owner=alice, name=name, is_public=public, team_id=alpha.id)
    if public:
        await join_public(user=bob, league_id=league.id, team_id=bravo.id)
    else:
        await join_by_code(user=bob, invite_code=league.invite_code, team_id=bravo.id)
    return Scenario(race, alice, bob, alpha, bravo, league)


async def result_set(*, season: int, order: list[str]) -> ResultSet:
    """Return a full classification of the season's drivers: `order` first, the rest after."""
    drivers = {
        d.ref: d for d in await Driver.filter(season_id=season).select_related("constructor")
    }
    refs = [*order, *sorted(ref for ref in drivers if ref not in order)]
    rows = tuple(
        ResultRow(
            driver_ref=ref,
            constructor_ref=drivers[ref].constructor.ref,
            position_text=str(place),
            position_order=place,
            grid=place,
            laps=58,
            status="Finished",
            fastest_lap_rank=None,
            points=official_points(position_text=str(place), fastest_lap_rank=None, season=season),
        )
        for place, ref in enumerate(refs, start=1)
    )
    return ResultSet(rows=rows, drivers={}, constructors={})


async def publish_results(*, season: int, race: Race, order: list[str]) -> StoreOutcome:
    """Store results as an admin correction would, through the whole pipeline."""
    results = await result_set(season=season, order=order)
    return await store_results(race_id=race.id, results=results, source=ResultSource.MANUAL)


# Alpha's captain wins: Alpha leads. The correction makes Bravo's captain the winner.
ALPHA_AHEAD = ["bortoleto", "albon"]
BRAVO_AHEAD = ["albon", "bortoleto"]


def row_points(html: str, team_id: int) -> int | None:
    """Return the points shown in a leaderboard row of `html`, or None without that row."""
    match = re.search(
        rf'<tr id="lb-row-{team_id}">.*?<td class="num points">(\d+)</td>', html, re.S
    )
    return int(match.group(1)) if match else None


def row_rank(html: str, team_id: int) -> int | None:
    """Return the rank shown in a leaderboard row of `html`."""
    match = re.search(rf'<tr id="lb-row-{team_id}">\s*<td class="num">(\d+)</td>', html, re.S)
    return int(match.group(1)) if match else None


def badge_count(html: str) -> int | None:
    """Return the number in an unread badge of `html`, or None without a badge."""
    match = re.search(r'<span id="unread-badge"[^>]*>(\d+)</span>', html)
    return int(match.group(1)) if match else None

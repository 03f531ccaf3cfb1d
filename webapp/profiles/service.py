"""A player's profile: their teams in every season, ranks, leagues, and replays they played."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

from webapp.errors import AppError
from webapp.leaderboards.standing import rank_after, read_standing
from webapp.models import User

# Every team of a user, whether its season is a replay, its league count and races scored.
TEAMS_SQL = """
SELECT t.id, t.name, t.season_id AS season, t.game, t.points,
       EXISTS (SELECT 1 FROM replays r WHERE r.season_id = t.season_id) AS replay,
       (SELECT COUNT(*) FROM team_race_scores s WHERE s.team_id = t.id)::int AS races,
       (SELECT COUNT(*) FROM league_members m WHERE m.team_id = t.id)::int AS leagues
FROM teams t
WHERE t.owner_id = $1
ORDER BY t.season_id DESC, t.points DESC, t.id
"""

# A team's overall rank among the teams of its season and game (equal points share a rank),
# counted in PostgreSQL: only for a season without a standing (webapp.leaderboards.standing).
RANK_SQL = """
SELECT (SELECT COUNT(*) FROM teams o
         WHERE o.season_id = t.season_id AND o.game = t.game AND o.points > t.points)::int + 1
           AS rank,
       (SELECT COUNT(*) FROM teams o
         WHERE o.season_id = t.season_id AND o.game = t.game)::int AS teams
FROM teams t WHERE t.id = $1
"""

# The leagues a user's teams are in; private ones only for the user's own page.
LEAGUES_SQL = """
SELECT DISTINCT l.id, l.name, l.season_id AS season, l.is_public
FROM leagues l JOIN league_members m ON m.league_id = l.id JOIN teams t ON t.id = m.team_id
WHERE t.owner_id = $1
ORDER BY l.season_id DESC, l.name, l.id
"""


@dataclass(frozen=True, slots=True)
class ProfileTeam:
    id: int
    name: str
    season: int
    game: str
    points: int
    rank: int
    teams: int
    replay: bool
    races: int
    leagues: int


@dataclass(frozen=True, slots=True)
class SeasonHistory:
    """One season of a player: their teams, and their leagues when it is their own page."""

    season: int
    replay: bool
    teams: list[ProfileTeam]
    leagues: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Profile:
    user: User
    teams: list[ProfileTeam]
    league_count: int
    history: list[SeasonHistory]

    @property
    def best_rank(self) -> int | None:
        """Return the best overall rank any of the player's scored teams holds."""
        ranks = [t.rank for t in self.teams if t.races]
        return min(ranks) if ranks else None

    @property
    def seasons_played(self) -> int:
        """Return how many seasons the player had a team in."""
        return len({t.season for t in self.teams})


async def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(sql, params)
    return rows


async def find_player(*, username: str | None = None, user_id: int | None = None) -> User:
    """Return the user with that username (any case) or id, or fail with `not_found`."""
    user = (
        await User.filter(username__iexact=username).first()
        if username is not None
        else await User.get_or_none(id=user_id)
    )
    if user is None:
        raise AppError.not_found("No such player")
    return user


async def _ranked(row: dict[str, Any]) -> ProfileTeam:
    """Return a profile team with its rank, read from its season's standing when it has one."""
    standing = await read_standing(season=row["season"], game=row["game"])
    # A team's points are its running total after the season's last scored race.
    last = max(map(int, standing), default=None) if standing else None
    placed = (
        rank_after(standing, round_=last, total=row["points"])
        if standing is not None and last is not None
        else None
    )
    if placed is None:
        [counted] = await _rows(RANK_SQL, [row["id"]])
        placed = (counted["rank"], counted["teams"])
    return ProfileTeam(**row, rank=placed[0], teams=placed[1])


async def player_profile(*, user: User, own: bool = False) -> Profile:
    """Return a player's profile; `own` adds the names of their private leagues."""
    teams = [await _ranked(row) for row in await _rows(TEAMS_SQL, [user.id])]
    leagues = await _rows(LEAGUES_SQL, [user.id])
    history = []
    for season in sorted({t.season for t in teams}, reverse=True):
        in_season = [t for t in teams if t.season == season]
        history.append(
            SeasonHistory(
                season=season,
                replay=any(t.replay for t in in_season),
                teams=in_season,
                leagues=[
                    lg for lg in leagues if lg["season"] == season and (own or lg["is_public"])
                ],
            )
        )
    return Profile(user=user, teams=teams, league_count=len(leagues), history=history)

"""Notifications for league joins, lineup locks and league rank moves, each event once per user.

Who hears what:
- `league_joined`: when a team enters a league, the league's owner and the owners of the
  teams already in it, except the owner of the team that joined. One per user per joining
  (a team that leaves and joins again is a new event: the key is the membership row).
- `lineup_locked`: when a race locks, the owner of every team with a lineup counting for
  it (saved before the lock), one per team.
- `deadline_soon`: when a race's lineups lock within the hour, the owner of every team of
  its season, one per user per race (naming their teams).
- `rank_changed`: after a rescoring, every team whose rank in one of its leagues moved,
  one per (league, team, race, result version). Teams whose race score vanished (their
  lineup no longer counts) are ranked with their new totals but not counted as movers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise import connections

from webapp import gameclock
from webapp.events import Event, league_channel, notifications_event, publish, user_channel
from webapp.models import NotificationType, Race, Team
from webapp.notifications.service import (
    NewNotification,
    create_notifications,
    push_soon,
    results_notifications,
)

if TYPE_CHECKING:
    from webapp.scoring.rescore import RescoreResult

LEAGUE_JOINED_SQL = """
SELECT DISTINCT u.user_id, l.name AS league_name, t.name AS team_name
FROM leagues l
JOIN teams t ON t.id = $2
CROSS JOIN LATERAL (
    SELECT l.owner_id AS user_id
    UNION
    SELECT o.owner_id FROM league_members m JOIN teams o ON o.id = m.team_id
    WHERE m.league_id = l.id
) u
WHERE l.id = $1 AND u.user_id <> t.owner_id
"""

LOCKED_TEAMS_SQL = """
SELECT t.id AS team_id, t.owner_id, t.name
FROM teams t
WHERE t.season_id = $1
  AND EXISTS (SELECT 1 FROM lineups l WHERE l.team_id = t.id AND l.saved_at < $2)
"""

# A player's first team links the reminder; the rest are named in it.
DEADLINE_SOON_SQL = """
SELECT r.id AS race_id, r.name AS race_name, t.owner_id,
       array_agg(t.name ORDER BY t.id) AS team_names, min(t.id) AS team_id
FROM races r
JOIN teams t ON t.season_id = r.season_id
WHERE r.status = 'scheduled' AND r.lock_at > $1 AND r.lock_at <= $2
GROUP BY r.id, r.name, t.owner_id
ORDER BY r.id, t.owner_id
"""
DEADLINE_NOTICE = timedelta(hours=1)

# $1/$2: the changed teams and their change in points, $3: the scoring system.
RANK_MOVES_SQL = """
WITH delta AS (
    SELECT * FROM unnest($1::int[], $2::int[]) AS d(team_id, delta)
),
touched AS (
    SELECT DISTINCT m.league_id
    FROM league_members m
    JOIN delta d ON d.team_id = m.team_id
    JOIN leagues l ON l.id = m.league_id AND l.scoring_system = $3
),
points AS (
    SELECT m.league_id, m.team_id,
           COALESCE((SELECT SUM(s.points) FROM team_race_scores s
                     WHERE s.team_id = m.team_id AND s.scoring_system = $3), 0) AS now_points
    FROM league_members m JOIN touched USING (league_id)
),
ranked AS (
    SELECT p.league_id, p.team_id,
           RANK() OVER (PARTITION BY p.league_id ORDER BY p.now_points DESC) AS new_rank,
           RANK() OVER (PARTITION BY p.league_id
                        ORDER BY p.now_points - COALESCE(d.delta, 0) DESC) AS old_rank
    FROM points p LEFT JOIN delta d ON d.team_id = p.team_id
)
SELECT r.league_id, l.name AS league_name, r.team_id, t.name AS team_name, t.owner_id,
       r.old_rank::int AS old_rank, r.new_rank::int AS new_rank
FROM ranked r
JOIN leagues l ON l.id = r.league_id
JOIN teams t ON t.id = r.team_id
WHERE r.old_rank <> r.new_rank
ORDER BY r.league_id, r.team_id
"""


async def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(sql, params)
    return rows


async def announce(notified: Sequence[NewNotification]) -> None:
    """Tell each recipient's open pages how many notifications they just got."""
    counts: dict[int, int] = {}
    for item in notified:
        counts[item.user_id] = counts.get(item.user_id, 0) + 1
    for user_id, count in sorted(counts.items()):
        await publish(user_channel(user_id), notifications_event(user_id, count))
    await push_soon(notified)


async def announce_membership(*, league_id: int, notified: Sequence[NewNotification]) -> None:
    """Tell live league pages that the teams changed, and recipients of their notifications."""
    await publish(league_channel(league_id), {"type": Event.MEMBERS, "league_id": league_id})
    await announce(notified)


async def notify_league_joined(
    *, league_id: int, team_id: int, member_id: int, now: datetime | None = None
) -> list[NewNotification]:
    """Notify the league's owner and other members' owners that a team joined; return the new."""
    rows = await _rows(LEAGUE_JOINED_SQL, [league_id, team_id])
    items = [
        NewNotification(
            user_id=int(row["user_id"]),
            type=NotificationType.LEAGUE_JOINED,
            title=f"{row['team_name']} joined {row['league_name']}",
            body=f"The team {row['team_name']} joined your league {row['league_name']}.",
            dedup_key=f"league_joined:{member_id}:{row['user_id']}",
            data={"league_id": league_id, "team_id": team_id},
        )
        for row in rows
    ]
    return await create_notifications(items, now=now)


async def notify_lineups_locked(
    *, races: Sequence[Race], now: datetime | None = None
) -> list[NewNotification]:
    """Notify the owner of each team whose lineup counts for a race that just locked."""
    created: list[NewNotification] = []
    for race in races:
        season: int = race.season_id
        rows = await _rows(LOCKED_TEAMS_SQL, [season, race.lock_at])
        items = [
            NewNotification(
                user_id=int(row["owner_id"]),
                type=NotificationType.LINEUP_LOCKED,
                title=f"{race.name}: {row['name']}'s lineup is locked",
                body=(
                    f"The deadline for the {race.name} has passed: the lineup of {row['name']} "
                    "is locked for it. Changes you save now count from the next race."
                ),
                dedup_key=f"lineup_locked:{race.id}:{row['team_id']}",
                data={"race_id": race.id, "team_id": int(row["team_id"])},
            )
            for row in rows
        ]
        created += await create_notifications(items, now=now)
    return created


async def notify_deadlines_soon(*, now: datetime | None = None) -> list[NewNotification]:
    """Remind every player with a team that a race of its season locks within the hour."""
    clock = now or gameclock.now()
    rows = await _rows(DEADLINE_SOON_SQL, [clock, clock + DEADLINE_NOTICE])
    items = []
    for row in rows:
        names = list(row["team_names"])
        teams = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        items.append(
            NewNotification(
                user_id=int(row["owner_id"]),
                type=NotificationType.DEADLINE_SOON,
                title=f"{row['race_name']}: lineups lock within the hour",
                body=(
                    f"Lineups for the {row['race_name']} lock in less than an hour. "
                    f"The lineup saved last before then counts for {teams}."
                ),
                dedup_key=f"deadline_soon:{row['race_id']}:{row['owner_id']}",
                data={"race_id": int(row["race_id"]), "team_id": int(row["team_id"])},
            )
        )
    return await create_notifications(items, now=now)


def _place(rank: int) -> str:
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


async def notify_rank_changes(
    *, rescore: RescoreResult, version: int, now: datetime | None = None
) -> list[NewNotification]:
    """Notify each team whose rank in one of its leagues moved with this rescoring."""
    changes = [c for c in rescore.changes if (c.old_points or 0) != c.new_points]
    if not changes:
        return []
    rows = await _rows(
        RANK_MOVES_SQL,
        [
            [c.team_id for c in changes],
            [c.new_points - (c.old_points or 0) for c in changes],
            rescore.system,
        ],
    )
    items = []
    for row in rows:
        old, new = int(row["old_rank"]), int(row["new_rank"])
        way = "up" if new < old else "down"
        items.append(
            NewNotification(
                user_id=int(row["owner_id"]),
                type=NotificationType.RANK_CHANGED,
                title=f"{row['team_name']} moved {way} to {_place(new)} in {row['league_name']}",
                body=(
                    f"{row['team_name']} is now {_place(new)} in {row['league_name']} "
                    f"(was {_place(old)})."
                ),
                dedup_key=(
                    f"rank_changed:{row['league_id']}:{row['team_id']}:{rescore.race_id}:v{version}"
                ),
                data={
                    "league_id": int(row["league_id"]),
                    "team_id": int(row["team_id"]),
                    "old_rank": old,
                    "new_rank": new,
                },
            )
        )
    return await create_notifications(items, now=now)


async def notify_results(
    *, rescore: RescoreResult, version: int, now: datetime | None = None
) -> list[NewNotification]:
    """Notify each team whose race points are new or changed, and each whose league rank moved."""
    race = await Race.get(id=rescore.race_id)
    names = dict(
        await Team.filter(id__in=[c.team_id for c in rescore.changes]).values_list("id", "name")
    )
    notified = await create_notifications(
        results_notifications(
            race_id=race.id,
            race_name=race.name,
            version=version,
            changes=rescore.changes,
            team_names=names,
        ),
        now=now,
    )
    return notified + await notify_rank_changes(rescore=rescore, version=version, now=now)

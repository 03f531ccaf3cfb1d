"""Create notifications in bulk, once per event, and announce changes on Redis pub/sub.

The channels and their events are named in `webapp.events`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tortoise import connections

from webapp.events import (
    Event,
    ResultsEvent,
    encode,
    notifications_event,
    race_channel,
    scores_event,
    season_channel,
    user_channel,
)
from webapp.models import NotificationType
from webapp.redis import get_redis
from webapp.taskqueue import SEND_PUSHES, send_soon

INSERT_SQL = """
INSERT INTO notifications (user_id, type, title, body, data, dedup_key, created_at)
SELECT u, t, ti, b, d::jsonb, k, $7
FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     AS x(u, t, ti, b, d, k)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING user_id, dedup_key
"""


@dataclass(frozen=True, slots=True)
class NewNotification:
    user_id: int
    type: NotificationType
    title: str
    body: str
    dedup_key: str
    data: dict[str, Any] = field(default_factory=dict)


class ScoreChangeLike(Protocol):
    @property
    def team_id(self) -> int: ...
    @property
    def owner_id(self) -> int: ...
    @property
    def old_points(self) -> int | None: ...
    @property
    def new_points(self) -> int: ...


async def create_notifications(
    items: Sequence[NewNotification], *, now: datetime | None = None
) -> list[NewNotification]:
    """Insert notifications in one statement, skipping events already notified; return the new."""
    if not items:
        return []
    params: list[Any] = [
        [n.user_id for n in items],
        [str(n.type) for n in items],
        [n.title[:200] for n in items],
        [n.body for n in items],
        [json.dumps(n.data) for n in items],
        [n.dedup_key for n in items],
        now or datetime.now(UTC),
    ]
    rows = await connections.get("default").execute_query_dict(INSERT_SQL, params)
    inserted = {row["dedup_key"] for row in rows}
    return [n for n in items if n.dedup_key in inserted]


def _points(value: int) -> str:
    return f"{value} point" if value in (1, -1) else f"{value} points"


def results_notifications(
    *,
    race_id: int,
    race_name: str,
    version: int,
    changes: Iterable[ScoreChangeLike],
    team_names: dict[int, str],
) -> list[NewNotification]:
    """Build one notification per team whose race points are new or different."""
    items = []
    for change in changes:
        name = team_names.get(change.team_id, f"Team {change.team_id}")
        if change.old_points is None:
            items.append(
                NewNotification(
                    user_id=change.owner_id,
                    type=NotificationType.RESULTS_PUBLISHED,
                    title=f"{race_name}: {name} scored {_points(change.new_points)}",
                    body=(
                        f"Your team {name} scored {_points(change.new_points)} in the {race_name}."
                    ),
                    dedup_key=f"{NotificationType.RESULTS_PUBLISHED}:{race_id}:{change.team_id}",
                    data={
                        "race_id": race_id,
                        "team_id": change.team_id,
                        "points": change.new_points,
                    },
                )
            )
        elif change.old_points != change.new_points:
            items.append(
                NewNotification(
                    user_id=change.owner_id,
                    type=NotificationType.RESULTS_CHANGED,
                    title=f"{race_name}: {name}'s score changed",
                    body=(
                        f"The {race_name} results were corrected: {name} now has "
                        f"{_points(change.new_points)} instead of {_points(change.old_points)}."
                    ),
                    dedup_key=f"{NotificationType.RESULTS_CHANGED}:{race_id}:v{version}:{change.team_id}",
                    data={
                        "race_id": race_id,
                        "team_id": change.team_id,
                        "old_points": change.old_points,
                        "new_points": change.new_points,
                        "url": f"/races/{race_id}/versions?to={version}",
                    },
                )
            )
    return items


async def publish_results(
    *,
    race_id: int,
    season: int,
    version: int,
    status: str,
    changed_games: Sequence[str],
    notified: Sequence[NewNotification],
) -> None:
    """Announce a new result version, each game whose standings changed, and new notifications."""
    redis = get_redis()
    counts: dict[int, int] = {}
    for item in notified:
        counts[item.user_id] = counts.get(item.user_id, 0) + 1
    async with redis.pipeline(transaction=False) as pipe:
        race_event: ResultsEvent = {
            "type": Event.RESULTS,
            "race_id": race_id,
            "version": version,
            "status": status,
        }
        pipe.publish(race_channel(race_id), encode(race_event))
        # One per game, so each game's live boards redraw for their own game's points only.
        for game in changed_games:
            pipe.publish(season_channel(season), encode(scores_event(season, race_id, game)))
        for user_id, count in sorted(counts.items()):
            pipe.publish(user_channel(user_id), encode(notifications_event(user_id, count)))
        await pipe.execute()
    await push_soon(notified)


async def push_soon(notified: Sequence[NewNotification]) -> None:
    """Have a worker push new notifications now, rather than at the minute's sweep."""
    # Called once they have committed: the sender claims each once (pushed_at), so a push
    # sent here and a sweep running meanwhile never push one twice.
    if notified:
        await send_soon(SEND_PUSHES)

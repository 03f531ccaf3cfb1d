"""Maintenance the workers run on a timetable: driver statistics and clean-up of old rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import connections

from webapp import cache
from webapp.models import Notification, RefreshToken
from webapp.scoring.systems import DEFAULT_SYSTEM

READ_NOTIFICATIONS_KEPT = timedelta(days=90)
FORM_RACES = 3

# Each driver's points per race as rescoring stored them (no captain: a driver's own
# worth), for the races of the season's counting results he is in; then total, average
# and last-3 form. Rescoring is the one place a driver's points are worked out.
DRIVER_STATS_SQL = """
WITH per_race AS (
    SELECT s.driver_id, r.round, s.points
    FROM race_driver_scores s
    JOIN races r ON r.id = s.race_id AND s.result_version = r.results_version
    JOIN race_results rr
      ON rr.race_id = r.id AND rr.version = r.results_version AND rr.driver_id = s.driver_id
    WHERE r.season_id = $1 AND r.status <> 'cancelled'
      AND s.scoring_system = $2 AND NOT s.captain
),
ranked AS (
    SELECT driver_id, points,
           row_number() OVER (PARTITION BY driver_id ORDER BY round DESC) AS recent
    FROM per_race
),
stats AS (
    SELECT driver_id, sum(points)::int AS total, round(avg(points), 2) AS average,
           round(avg(points) FILTER (WHERE recent <= $3), 2) AS form
    FROM ranked GROUP BY driver_id
),
wanted AS (
    SELECT d.id, COALESCE(s.total, 0) AS total, COALESCE(s.average, 0) AS average,
           COALESCE(s.form, 0) AS form
    FROM drivers d LEFT JOIN stats s ON s.driver_id = d.id
    WHERE d.season_id = $1
)
UPDATE drivers d
SET season_points = w.total, average_points = w.average, form_points = w.form
FROM wanted w
WHERE d.id = w.id
  AND (d.season_points, d.average_points, d.form_points)
      IS DISTINCT FROM (w.total, w.average, w.form)
RETURNING d.id
"""


async def update_driver_stats(*, season: int) -> int:
    """Recompute every driver's season points, average and form; return how many changed."""
    rows = await connections.get("default").execute_query_dict(
        DRIVER_STATS_SQL, [season, DEFAULT_SYSTEM, FORM_RACES]
    )
    if rows:
        await cache.bump(cache.DRIVERS)
    return len(rows)


@dataclass(frozen=True, slots=True)
class CleanupReport:
    refresh_tokens: int
    notifications: int


async def clean_up(*, now: datetime | None = None) -> CleanupReport:
    """Delete expired refresh tokens and notifications read more than 90 days ago."""
    now = now or datetime.now(UTC)
    tokens = await RefreshToken.filter(expires_at__lt=now).delete()
    notes = await Notification.filter(read_at__lt=now - READ_NOTIFICATIONS_KEPT).delete()
    return CleanupReport(refresh_tokens=tokens, notifications=notes)

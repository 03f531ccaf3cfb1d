"""Benchmark: the SQL behind every page and GET endpoint on a big season, slowest first.

Generates a season with N teams (bench.generate), a few thousand leagues and notifications,
scores the race, then requests every GET route of the app as a user who owns teams,
records each statement the ORM sends, and runs EXPLAIN ANALYZE on each (inside a
transaction that is rolled back). Prints the statements by execution time with the plan
nodes that matter: sequential scans and the indexes used.

    BENCH_DATABASE_URL=… BENCH_REDIS_URL=… python -m bench.explain --teams 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from tortoise import connections

from bench.common import bench_services, print_table
from bench.generate import generate
from webapp.auth.sessions import create_session
from webapp.auth.tokens import create_access_token
from webapp.leaderboards.refresh import refresh_after_rescore
from webapp.models import User
from webapp.scoring.rescore import rescore_scores

# Two thousand more leagues of 20 teams each, every fourth one private; five notifications
# for every user, two of them unread.
EXTRA_SQL = [
    """
    INSERT INTO leagues (season_id, name, is_public, invite_code, owner_id, max_teams,
                         scoring_system, created_at)
    SELECT $1, 'League ' || g, g % 4 <> 0, 'C' || lpad(g::text, 7, '0'),
           (SELECT min(id) FROM users) + g, 50, 'classic', now()
    FROM generate_series(1, 2000) g
    """,
    """
    INSERT INTO league_members (league_id, team_id, joined_at)
    SELECT l.id, 10000 + (l.id - 2) * 20 + k, now()
    FROM leagues l CROSS JOIN generate_series(1, 20) k WHERE l.name LIKE 'League %'
    """,
    """
    INSERT INTO notifications (user_id, type, title, body, data, dedup_key, created_at, read_at)
    SELECT u.id, 'results_published', 'Results', 'Your team scored', '{}',
           'bench:' || u.id || ':' || k, now() - k * interval '1 day',
           CASE WHEN k > 2 THEN now() END
    FROM users u CROSS JOIN generate_series(1, 5) k
    """,
]
EXTRA_QUERIES = ["/leagues?q=League 1", "/api/v1/leagues?q=league 19", "/api/v1/users?q=bench12"]
QUERY_STRINGS = {"/leaderboard": "?offset=5000", "/api/v1/leaderboard": "?offset=5000"}


@dataclass
class Captured:
    """Statements the ORM sent, with their parameters and the paths that sent them."""

    seen: dict[str, tuple[list[Any], set[str]]] = field(default_factory=dict)
    path: str = ""

    def record(self, sql: str, values: list[Any]) -> None:
        """Keep the first parameters of each distinct statement."""
        key = re.sub(r"\s+", " ", sql).strip()
        entry = self.seen.setdefault(key, (values, set()))
        entry[1].add(self.path)


class SqlHandler(logging.Handler):
    """Turn tortoise's debug lines (`<sql>: <values>`) into captured statements."""

    def __init__(self, captured: Captured) -> None:
        super().__init__(logging.DEBUG)
        self.captured = captured

    def emit(self, record: logging.LogRecord) -> None:
        """Record a statement with parameters; skip pool messages."""
        if len(record.args or ()) == 2 and isinstance(record.args, tuple):
            sql, values = record.args
            if isinstance(sql, str) and sql.lstrip().upper().startswith("SELECT"):
                self.captured.record(sql, list(values or []))


def concrete(rule: str, params: dict[str, int]) -> str | None:
    """Fill a URL rule's converters from `params`, or None when one is unknown."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    if any(name not in params for name in names):
        return None
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), rule)


async def walk(settings: Any, captured: Captured, params: dict[str, int], user: User) -> None:
    """Request every GET route once as `user` (session for pages, bearer for the API)."""
    from webapp.app import create_app

    app = create_app(settings.model_copy(update={"environment": "test"}))
    token, _ = create_access_token(
        user=user,
        secret=app.config["SECRET_KEY"],
        access_minutes=settings.access_token_expire_minutes,
    )
    async with app.test_app():
        client = app.test_client()
        async with client.session_transaction() as session:
            session["sid"] = await create_session(user=user, days=1)
        paths = []
        for rule in app.url_map.iter_rules():
            if rule.websocket or "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            path = concrete(rule.rule, params)
            if path and path not in ("/metrics", "/docs", "/openapi.json", "/logout"):
                paths.append(path + QUERY_STRINGS.get(path, ""))
        for path in sorted(paths) + EXTRA_QUERIES:
            captured.path = path
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            response = await client.get(path, headers=headers)
            print(f"{response.status_code} {path}")


def plan_notes(node: dict[str, Any], notes: list[str]) -> None:
    """Collect scans of the plan: sequential ones with their row counts, and index names."""
    kind = node["Node Type"]
    if kind == "Seq Scan":
        notes.append(f"Seq Scan {node['Relation Name']} ({node.get('Actual Rows', 0):,} rows)")
    elif "Index Name" in node:
        notes.append(f"{kind} {node['Index Name']}")
    for child in node.get("Plans", []):
        plan_notes(child, notes)


async def explain(dsn: str, captured: Captured) -> list[tuple[float, str, list[str], set[str]]]:
    """EXPLAIN ANALYZE each captured statement; return (ms, sql, notes, paths) slowest first."""
    conn = await asyncpg.connect(dsn)
    results = []
    try:
        for sql, (values, paths) in captured.seen.items():
            transaction = conn.transaction()
            await transaction.start()
            try:
                raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *values)
            except asyncpg.PostgresError as exc:
                print(f"cannot explain ({exc}): {sql[:100]}")
                continue
            finally:
                await transaction.rollback()
            plan = json.loads(raw)[0]
            notes: list[str] = []
            plan_notes(plan["Plan"], notes)
            results.append((plan["Execution Time"], sql, notes, paths))
    finally:
        await conn.close()
    return sorted(results, reverse=True)


async def main(teams: int, top: int) -> None:
    """Generate, walk, explain and print the slowest statements."""
    async with bench_services(fresh=True) as settings:
        made = await generate(teams=teams, league_size=min(teams, 10_000))
        conn = connections.get("default")
        for sql in EXTRA_SQL:
            await conn.execute_query(sql, [made.season] if "$1" in sql else [])
        await refresh_after_rescore(await rescore_scores(race_id=made.race_id))
        await conn.execute_script("VACUUM ANALYZE")
        user = await User.get(username="bench1")
        await User.filter(id=user.id).update(is_admin=True)
        user = await User.get(id=user.id)
        league = await conn.execute_query_dict("SELECT id FROM leagues WHERE name = 'Bench league'")
        params = {
            "team_id": 1,
            "league_id": int(league[0]["id"]),
            "race_id": made.race_id,
            "notification_id": 1,
            "driver_id": 1,
        }
        captured = Captured()
        handler = SqlHandler(captured)
        db_log = logging.getLogger("tortoise.db_client")
        db_log.addHandler(handler)
        db_log.setLevel(logging.DEBUG)
        try:
            await walk(settings, captured, params, user)
        finally:
            db_log.removeHandler(handler)
        from bench.common import _dsn

        assert settings.database_url
        rows = await explain(_dsn(settings.database_url), captured)
    print(f"\n{len(rows)} distinct SELECT statements; slowest {top}:\n")
    table = [
        [f"{ms:.2f}", ", ".join(sorted(paths))[:60], "; ".join(dict.fromkeys(notes))[:110]]
        for ms, _, notes, paths in rows[:top]
    ]
    print_table(["ms", "requested by", "scans"], table)
    print()
    for ms, sql, _, _ in rows[:top]:
        print(f"-- {ms:.2f} ms\n{sql[:400]}\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.teams, args.top))

"""The numbers behind the charts, as plain JSON-ready data, cached per results generation.

Every function here answers what a chart draws: points per race, a rank after each race,
cumulative points, a price, an ownership share. Values built from scores are cached under
the season's board generation (bumped by every rescoring, new team and rename, like the
tables), league ones also under the league's generation; see docs/stats.md. Ownership over
a game is read from the row the results pipeline keeps; a league's is cached like the rest.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from webapp import cache, games
from webapp.errors import AppError
from webapp.games import registry
from webapp.leaderboards.ownership import count_league
from webapp.leaderboards.standing import rank_after, read_standing
from webapp.market.prices import PricePoint, market_histories, price_at
from webapp.models import Constructor, Driver, League, Team
from webapp.scoring.systems import DEFAULT_SYSTEM

CHARTS = cache.Namespace("chart", ttl=600)
FORM_RACES = 3
LEAGUE_LINES = 10

# One team's ($3) points and running total after every scored race ($1 season, $2 system).
TEAM_TOTALS_SQL = """
WITH scored AS (
    SELECT r.id, r.round FROM races r
    WHERE r.season_id = $1 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM team_race_scores s
                  WHERE s.race_id = r.id AND s.scoring_system = $2)
)
SELECT r.id AS race_id, r.round, COALESCE(s.points, 0)::int AS points,
       (SUM(COALESCE(s.points, 0)) OVER (ORDER BY r.round))::int AS total
FROM scored r
LEFT JOIN team_race_scores s ON s.race_id = r.id AND s.team_id = $3 AND s.scoring_system = $2
ORDER BY r.round
"""

# Members of a league ($3) with their points and running total per scored race; $4 limits
# to some teams (null: the league's leaders by season points, $5 of them).
LEAGUE_TOTALS_SQL = """
WITH scored AS (
    SELECT r.id, r.round, r.name FROM races r
    WHERE r.season_id = $1 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM team_race_scores s
                  WHERE s.race_id = r.id AND s.scoring_system = $2)
),
members AS (
    SELECT t.id, t.name, t.owner_id, t.points
    FROM league_members m JOIN teams t ON t.id = m.team_id
    WHERE m.league_id = $3 AND ($4::int[] IS NULL OR t.id = ANY($4::int[]))
    ORDER BY t.points DESC, t.id
    LIMIT $5
)
SELECT m.id AS team_id, m.name, m.owner_id, r.id AS race_id, r.round,
       COALESCE(s.points, 0)::int AS points,
       (SUM(COALESCE(s.points, 0)) OVER (PARTITION BY m.id ORDER BY r.round))::int AS total
FROM members m CROSS JOIN scored r
LEFT JOIN team_race_scores s ON s.team_id = m.id AND s.race_id = r.id AND s.scoring_system = $2
ORDER BY m.points DESC, m.id, r.round
"""

# A driver's own points (no captain) in each race of the season it has a result in.
DRIVER_POINTS_SQL = """
SELECT r.id AS race_id, r.round, r.name, COALESCE(s.points, 0)::int AS points
FROM races r
JOIN race_results rr ON rr.race_id = r.id AND rr.version = r.results_version AND rr.driver_id = $1
LEFT JOIN race_driver_scores s
  ON s.race_id = r.id AND s.driver_id = $1 AND s.scoring_system = $2 AND NOT s.captain
 AND s.result_version = r.results_version
WHERE r.status <> 'cancelled'
ORDER BY r.round
"""

# A constructor's points per race: its drivers' own points in the results it scored in.
CONSTRUCTOR_POINTS_SQL = """
SELECT r.id AS race_id, r.round, r.name, COALESCE(SUM(s.points), 0)::int AS points
FROM races r
JOIN race_results rr
  ON rr.race_id = r.id AND rr.version = r.results_version AND rr.constructor_id = $1
LEFT JOIN race_driver_scores s
  ON s.race_id = r.id AND s.driver_id = rr.driver_id AND s.scoring_system = $2 AND NOT s.captain
 AND s.result_version = r.results_version
WHERE r.status <> 'cancelled'
GROUP BY r.id, r.round, r.name
ORDER BY r.round
"""

# The counts the results pipeline keeps (webapp/leaderboards/ownership.py), one row read by
# its key: $1 season, $2 game, $3 whether the asset is a driver, $4 its id. How many lineups
# counted, how many held the asset, and the race they scored.
OWNERSHIP_SQL = """
SELECT o.teams,
       COALESCE((CASE WHEN $3::boolean THEN o.drivers ELSE o.constructors END
                 ->> ($4::int)::text)::int, 0) AS holding,
       o.race_id, r.name AS race_name, r.round
FROM asset_ownership o LEFT JOIN races r ON r.id = o.race_id
WHERE o.season_id = $1 AND o.game = $2
"""


async def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(sql, params)
    return rows


def race_label(round_: int) -> str:
    """Return a race's short label on a chart's x axis."""
    return f"R{round_}"


def share(holding: int, teams: int) -> float:
    """Return a percentage with one decimal (0 when there are no teams)."""
    return round(100 * holding / teams, 1) if teams else 0.0


def form(points: list[int], *, races: int = FORM_RACES) -> float | None:
    """Return the average of the last `races` values, None before any."""
    last = points[-races:]
    return round(sum(last) / len(last), 2) if last else None


async def team_series(*, team_id: int) -> dict[str, Any]:
    """Return a team's points and overall rank after each of its season's scored races."""
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise AppError.not_found("No such team")
    season: int = team.season_id

    async def build() -> dict[str, Any]:
        system = _system(team.game)
        rows = await _rows(TEAM_TOTALS_SQL, [season, system, team.id])
        # Built by the results pipeline after each rescoring; a read never builds it.
        standing = await read_standing(season=season, game=system)
        placed = [
            rank_after(standing, round_=r["round"], total=r["total"]) if standing else None
            for r in rows
        ]
        # Ranks are drawn only when the standing covers every race the team's totals do.
        known = all(p is not None for p in placed)
        ranks = [p[0] for p in placed if p is not None] if known else []
        teams = [p[1] for p in placed if p is not None] if known else []
        return {
            "team_id": team.id,
            "labels": [race_label(r["round"]) for r in rows],
            "race_ids": [r["race_id"] for r in rows],
            "points": [r["points"] for r in rows],
            "totals": [r["total"] for r in rows],
            "ranks": ranks,
            "teams": teams,
        }

    key = CHARTS.key("team", team.id)
    value: dict[str, Any] = await cache.cached(
        key=key, build=build, gens=[cache.board_generation(season)]
    )
    return value


async def league_series(
    *, league_id: int, team_ids: list[int] | None = None, lines: int = LEAGUE_LINES
) -> dict[str, Any]:
    """Return cumulative points per scored race for a league's leaders (or the given teams)."""
    league = await League.get_or_none(id=league_id)
    if league is None:
        raise AppError.not_found("No such league")
    season: int = league.season_id
    wanted = sorted(set(team_ids)) if team_ids is not None else None

    async def build() -> dict[str, Any]:
        system = _system(league.game)
        rows = await _rows(
            LEAGUE_TOTALS_SQL,
            [season, system, league.id, wanted, len(wanted) if wanted is not None else lines],
        )
        teams: dict[int, dict[str, Any]] = {}
        labels: dict[int, str] = {}
        for row in rows:
            labels[row["round"]] = race_label(row["round"])
            team = teams.setdefault(
                row["team_id"],
                {
                    "team_id": row["team_id"],
                    "name": row["name"],
                    "owner_id": row["owner_id"],
                    "points": [],
                    "totals": [],
                },
            )
            team["points"].append(row["points"])
            team["totals"].append(row["total"])
        return {
            "league_id": league.id,
            "labels": [labels[n] for n in sorted(labels)],
            "teams": list(teams.values()),
        }

    which = "top" if wanted is None else "-".join(map(str, wanted))
    value: dict[str, Any] = await cache.cached(
        key=CHARTS.key("league", league.id, which, lines),
        build=build,
        gens=[cache.board_generation(season), cache.league_generation(league.id)],
    )
    return value


async def head_to_head(*, league_id: int, team_a: int, team_b: int) -> dict[str, Any]:
    """Return two league members' points race by race, running totals and races won each."""
    if team_a == team_b:
        raise _invalid("Pick two different teams", field="b")
    data = await league_series(league_id=league_id, team_ids=[team_a, team_b])
    found = {t["team_id"]: t for t in data["teams"]}
    for field, team_id in (("a", team_a), ("b", team_b)):
        if team_id not in found:
            raise AppError("validation_error", "That team is not in this league", field=field)
    a, b = found[team_a], found[team_b]
    wins = {
        "a": sum(x > y for x, y in zip(a["points"], b["points"], strict=True)),
        "b": sum(y > x for x, y in zip(a["points"], b["points"], strict=True)),
        "even": sum(x == y for x, y in zip(a["points"], b["points"], strict=True)),
    }
    return {"labels": data["labels"], "a": a, "b": b, "wins": wins}


async def driver_series(*, driver_id: int) -> dict[str, Any]:
    """Return a driver's points per race, form over the last races and price per race."""
    driver = await Driver.get_or_none(id=driver_id)
    if driver is None:
        raise AppError.not_found("No such driver")
    season: int = driver.season_id

    async def build() -> dict[str, Any]:
        rows = await _rows(DRIVER_POINTS_SQL, [driver.id, DEFAULT_SYSTEM])
        market = await _market(season)
        history = market[1].drivers.get(driver.id, ()) if market else ()
        return _asset_series(rows, price=float(driver.price), market=market, history=history)

    value: dict[str, Any] = await cache.cached(
        key=CHARTS.key("driver", driver.id),
        build=build,
        gens=[cache.board_generation(season), cache.DRIVERS],
    )
    return value


async def constructor_series(*, constructor_id: int) -> dict[str, Any]:
    """Return a constructor's points per race (its drivers'), form and price per race."""
    team = await Constructor.get_or_none(id=constructor_id)
    if team is None:
        raise AppError.not_found("No such constructor")
    season: int = team.season_id

    async def build() -> dict[str, Any]:
        rows = await _rows(CONSTRUCTOR_POINTS_SQL, [team.id, DEFAULT_SYSTEM])
        price = float(team.price) if team.price is not None else None
        market = await _market(season)
        history = market[1].constructors.get(team.id, ()) if market else ()
        return _asset_series(rows, price=price, market=market, history=history)

    value: dict[str, Any] = await cache.cached(
        key=CHARTS.key("constructor", team.id),
        build=build,
        gens=[cache.board_generation(season), cache.DRIVERS],
    )
    return value


async def _market(season: int) -> tuple[str, Any] | None:
    """Return the first game with a market (its title) and its price histories, if any."""
    histories = await market_histories(season_id=season)
    for name, history in histories.items():
        return registry.get(name).title, history
    return None


def _asset_series(
    rows: list[dict[str, Any]],
    *,
    price: float | None,
    market: tuple[str, Any] | None,
    history: tuple[PricePoint, ...],
) -> dict[str, Any]:
    points = [int(r["points"]) for r in rows]
    if market is None or not history:
        # No market: the starting price holds at every race, so the line is flat.
        prices = [price] * len(rows) if price is not None else []
    else:
        prices = [float(price_at(history, round=r["round"]) or 0) for r in rows]
    return {
        "labels": [race_label(r["round"]) for r in rows],
        "race_ids": [r["race_id"] for r in rows],
        "races": [r["name"] for r in rows],
        "points": points,
        "total": sum(points),
        "form": form(points),
        "form_races": min(FORM_RACES, len(points)),
        # The starting price (the classic game's) and, with a market, its price after each
        # race and now.
        "price": price,
        "price_game": market[0] if market and history else None,
        "price_now": float(history[-1].price) if history else price,
        "prices": prices,
    }


async def ownership(
    *,
    season: int,
    driver_id: int | None = None,
    constructor_id: int | None = None,
    league_ids: list[int] | None = None,
    game: str = DEFAULT_SYSTEM,
) -> dict[str, Any]:
    """Return the share of the game's teams holding a driver or constructor, and per league.

    Overall, the counts the results pipeline built from the lineups that scored the season's
    latest scored race (`race`, None before any): a read never counts the game's lineups.
    """
    games.get(game)
    is_driver = driver_id is not None
    ident = driver_id if is_driver else constructor_id
    rows = await _rows(OWNERSHIP_SQL, [season, game, is_driver, ident])
    if not rows:
        return {"teams": 0, "holding": 0, "share": 0.0, "race": None, "leagues": []}
    row = rows[0]
    teams, holding = int(row["teams"]), int(row["holding"])
    race = {"id": row["race_id"], "name": row["race_name"], "round": row["round"]}
    result: dict[str, Any] = {
        "teams": teams,
        "holding": holding,
        "share": share(holding, teams),
        "race": race,
        "leagues": [],
    }
    wanted = sorted(set(league_ids or []))
    if wanted:
        names = dict(await League.filter(id__in=wanted).values_list("id", "name"))
        kind = "drivers" if is_driver else "constructors"
        for league_id in sorted(wanted, key=lambda i: (str(names.get(i, "")), i)):
            counts = await _league_counts(
                season=season, league_id=league_id, game=game, race_id=race["id"]
            )
            in_league = counts["teams"].get("0", 0)
            held = counts[kind].get(str(ident), 0)
            result["leagues"].append(
                {
                    "league_id": league_id,
                    "name": names.get(league_id, ""),
                    "teams": in_league,
                    "holding": held,
                    "share": share(held, in_league),
                }
            )
    return result


async def _league_counts(
    *, season: int, league_id: int, game: str, race_id: int
) -> dict[str, dict[str, int]]:
    """Return a league's ownership counts of a race, counted by index on a miss."""

    async def build() -> dict[str, dict[str, int]]:
        return await count_league(league_id=league_id, game=game, race_id=race_id)

    # Every asset of the league at once: one count serves each driver and constructor page
    # its members read until a rescoring (board) or a join or leave (league) moves it.
    async def read() -> dict[str, dict[str, int]]:
        value: dict[str, dict[str, int]] = await cache.cached(
            key=CHARTS.key("ownership", league_id, game, race_id),
            build=build,
            gens=[cache.board_generation(season), cache.league_generation(league_id)],
        )
        return value

    # A big league's readers miss together after a rescoring: one of them counts it.
    counts: dict[str, dict[str, int]] = await cache.once(
        ("chart-ownership", league_id, game, race_id), read
    )
    return counts


def _system(game: str) -> str:
    # A game's scores are stored under the scoring system of its name.
    return game or DEFAULT_SYSTEM


def _invalid(message: str, *, field: str) -> AppError:
    return AppError("validation_error", message, details={"fields": {field: message}}, field=field)

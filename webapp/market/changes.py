"""Price changes: once per race, every asset's price moves by its points per million.

The rules are the game's data (`Market.prices`, webapp/games/model.py), passed to one
statement as JSON: it reads the bands, moves and floor from there and never holds a
number of its own, so a game with other bands is priced by the same SQL.

A race is priced once per game, when its race classification is first stored: the
statement prices only races of the game that have none of their rows yet, and the unique
keys of `asset_prices` keep any second write out, so a correction (a new results version)
re-scores the race but leaves its prices alone. The pipeline runs it in the transaction
that stored and re-scored the results, so a crash leaves neither half.

Points per million: the asset's average Grand Prix points over its last `form_races`
races up to this one (fewer at the start of the season), divided by its price before the
race. The points are the race's breakdown lines (race_asset_scores): a driver's line as
a non-captain (Driver of the Day included), a constructor's line. Only races an asset
took part in count, and an asset that did not take part in a race keeps its price.
No move takes a price below the floor; one already under it (set so) falls no further.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tortoise.transactions import in_transaction

from webapp.games import registry
from webapp.games.model import Game, PriceRules

LOCK_PRICES = zlib.crc32(b"paddock.market.prices") & 0x7FFFFFFF

# $1 game, $2 season, $3 the races to price (ids; only unpriced ones are), $4 the rules.
# The races are priced in round order, each from the prices the one before it left.
PRICE_SQL = """
WITH RECURSIVE
rules AS (
    SELECT (j ->> 'form_races')::int AS form_races, (j ->> 'dear_from')::numeric AS dear_from,
           (j ->> 'floor')::numeric AS floor, j -> 'bands' AS bands
    FROM (SELECT $4::jsonb AS j) r
),
bands AS (
    SELECT e.ord, (e.b ->> 'above')::numeric AS above,
           (e.b ->> 'inclusive')::boolean AS inclusive,
           (e.b ->> 'dear_move')::numeric AS dear_move,
           (e.b ->> 'cheap_move')::numeric AS cheap_move
    FROM rules CROSS JOIN jsonb_array_elements(rules.bands) WITH ORDINALITY AS e(b, ord)
),
-- The season's races with a race classification and the game's breakdown lines.
scored AS MATERIALIZED (
    SELECT r.id, r.round, r.results_version
    FROM races r
    WHERE r.season_id = $2 AND r.status <> 'cancelled'
      AND EXISTS (SELECT 1 FROM race_results x
                  WHERE x.race_id = r.id AND x.version = r.results_version)
      AND EXISTS (SELECT 1 FROM race_asset_scores s
                  WHERE s.race_id = r.id AND s.scoring_system = $1)
),
targets AS MATERIALIZED (
    SELECT s.id AS race_id, s.round, row_number() OVER (ORDER BY s.round) AS step
    FROM scored s
    WHERE s.id = ANY($3::int[])
      AND NOT EXISTS (SELECT 1 FROM asset_prices ap WHERE ap.game = $1 AND ap.race_id = s.id)
),
-- Who took part in each scored race: in its race, qualifying or sprint classification.
entries AS MATERIALIZED (
    SELECT x.race_id, x.driver_id, x.constructor_id
    FROM race_results x JOIN scored s ON s.id = x.race_id AND x.version = s.results_version
    UNION
    SELECT x.race_id, x.driver_id, x.constructor_id
    FROM session_results x JOIN scored s ON s.id = x.race_id AND x.version = s.results_version
),
-- Each asset's points in each race it took part in; kind 'd' driver, 'c' constructor.
outings AS MATERIALIZED (
    SELECT CASE WHEN l.driver_id IS NULL THEN 'c' ELSE 'd' END AS kind,
           COALESCE(l.driver_id, l.constructor_id) AS asset_id, l.race_id, s.round, l.points
    FROM race_asset_scores l JOIN scored s ON s.id = l.race_id
    WHERE l.scoring_system = $1 AND NOT l.captain
      AND (EXISTS (SELECT 1 FROM entries e
                   WHERE e.race_id = l.race_id AND e.driver_id = l.driver_id)
           OR EXISTS (SELECT 1 FROM entries e
                      WHERE e.race_id = l.race_id AND e.constructor_id = l.constructor_id))
),
assets AS MATERIALIZED (
    SELECT 'd' AS kind, d.id AS asset_id, d.price AS base FROM drivers d WHERE d.season_id = $2
    UNION ALL
    SELECT 'c', c.id, c.price FROM constructors c
    WHERE c.season_id = $2 AND c.price IS NOT NULL
),
kept AS MATERIALIZED (
    SELECT CASE WHEN ap.driver_id IS NULL THEN 'c' ELSE 'd' END AS kind,
           COALESCE(ap.driver_id, ap.constructor_id) AS asset_id, r.round, ap.price
    FROM asset_prices ap JOIN races r ON r.id = ap.race_id
    WHERE ap.game = $1 AND ap.season_id = $2
),
-- Per race to price and asset: whether it took part, and its form (points and races).
form AS MATERIALIZED (
    SELECT t.step, a.kind, a.asset_id,
           EXISTS (SELECT 1 FROM outings o WHERE o.kind = a.kind AND o.asset_id = a.asset_id
                   AND o.race_id = t.race_id) AS took_part,
           f.points, f.races
    FROM targets t CROSS JOIN assets a
    CROSS JOIN LATERAL (
        SELECT COALESCE(sum(last.points), 0) AS points, count(*) AS races
        FROM (SELECT o.points FROM outings o
              WHERE o.kind = a.kind AND o.asset_id = a.asset_id AND o.round <= t.round
              ORDER BY o.round DESC LIMIT (SELECT form_races FROM rules)) last
    ) f
),
-- Race by race: the price before (a kept row since the last step, else the walk's price)
-- and after. A band holds points per million above its bound (or equal, when inclusive):
-- points / races / price > bound, compared as points > bound * races * price, exactly.
walk (step, kind, asset_id, price) AS (
    SELECT 0::bigint, a.kind, a.asset_id, a.base::numeric FROM assets a
    WHERE EXISTS (SELECT 1 FROM targets)
    UNION ALL
    SELECT t.step, w.kind, w.asset_id,
           CASE WHEN NOT f.took_part THEN b.price
                -- A fall stops at the floor; a price an admin set under it falls no further.
                ELSE GREATEST(LEAST(b.price, (SELECT floor FROM rules)),
                              b.price + COALESCE(m.move, 0)) END
    FROM walk w
    JOIN targets t ON t.step = w.step + 1
    JOIN form f ON f.step = t.step AND f.kind = w.kind AND f.asset_id = w.asset_id
    CROSS JOIN LATERAL (
        SELECT COALESCE(
            (SELECT k.price FROM kept k
             WHERE k.kind = w.kind AND k.asset_id = w.asset_id AND k.round < t.round
               AND k.round > COALESCE((SELECT p.round FROM targets p WHERE p.step = w.step), 0)
             ORDER BY k.round DESC LIMIT 1),
            w.price) AS price
    ) b
    CROSS JOIN LATERAL (
        SELECT CASE WHEN b.price >= (SELECT dear_from FROM rules) THEN bd.dear_move
                    ELSE bd.cheap_move END AS move
        FROM bands bd
        WHERE bd.above IS NULL
           OR (bd.inclusive AND f.points >= bd.above * f.races * b.price)
           OR (NOT bd.inclusive AND f.points > bd.above * f.races * b.price)
        ORDER BY bd.ord LIMIT 1
    ) m
),
written AS (
    INSERT INTO asset_prices
        (game, season_id, race_id, driver_id, constructor_id, price, created_at)
    SELECT $1, $2, t.race_id, CASE WHEN w.kind = 'd' THEN w.asset_id END,
           CASE WHEN w.kind = 'c' THEN w.asset_id END, w.price, now()
    FROM walk w
    JOIN targets t ON t.step = w.step
    JOIN form f ON f.step = w.step AND f.kind = w.kind AND f.asset_id = w.asset_id
    WHERE f.took_part
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) AS written FROM written
"""


def price_rules(rules: PriceRules) -> str:
    """Return a game's price rules as the JSON the statement reads (decimals as strings)."""
    return json.dumps(asdict(rules), default=str)


async def price_races(*, game: Game, season_id: int, race_ids: Sequence[int]) -> int:
    """Price the given races of a season in `game`, each once ever; return the rows written."""
    if game.market is None or not race_ids:
        return 0
    async with in_transaction() as conn:
        # One pricing of a game's season at a time: each race starts from the last's prices.
        await conn.execute_query_dict(
            "SELECT pg_advisory_xact_lock($1, $2)",
            [LOCK_PRICES, zlib.crc32(f"{game.name}:{season_id}".encode()) & 0x7FFFFFFF],
        )
        rows: list[dict[str, Any]] = await conn.execute_query_dict(
            PRICE_SQL, [game.name, season_id, list(race_ids), price_rules(game.market.prices)]
        )
    return int(rows[0]["written"])


async def price_season(*, game: Game, season_id: int) -> int:
    """Price every scored race of a season not yet priced in `game`, in round order."""
    async with in_transaction() as conn:
        rows = await conn.execute_query_dict(
            "SELECT id FROM races WHERE season_id = $1 ORDER BY round", [season_id]
        )
    return await price_races(game=game, season_id=season_id, race_ids=[r["id"] for r in rows])


async def price_race(*, race_id: int, season_id: int) -> dict[str, int]:
    """Price a race in every game with a market, once; return the rows written per game."""
    return {
        game.name: await price_races(game=game, season_id=season_id, race_ids=[race_id])
        for game in registry.all()
        if game.market is not None
    }

"""Benchmark: price changes over a real season of 24 races, beside a plain read of its lines.

Prices do not depend on teams (one row per asset and race), so the measure is a season:
the bundled 2024 season's 24 rounds are stored through the results pipeline (which
prices each race as it comes), then the whole season is priced again from nothing in one
statement, and race by race, and every run must write the same history.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from tortoise import connections

from bench.common import bench_services, print_table, timed
from webapp.catalogue.loader import load_season
from webapp.games.grand_prix import GRAND_PRIX
from webapp.market.changes import price_races, price_season
from webapp.models import AssetPrice, Race, ResultSource
from webapp.pipeline import store_results
from webapp.replay import ergast
from webapp.results import feed_models as fm
from webapp.results.rows import ResultSet, from_feed
from webapp.settings import ROOT

SEASON = 2024
LATER = datetime(2030, 1, 1, tzinfo=UTC)
PAGE = ergast.Window(limit=100)
# The least any pricing must do: read the season's breakdown lines and its classifications.
BASELINE_SQL = """
SELECT l.race_id, l.driver_id, l.constructor_id, l.points,
       EXISTS (SELECT 1 FROM race_results x JOIN races r ON r.id = x.race_id
               WHERE x.race_id = l.race_id AND x.version = r.results_version
                 AND (x.driver_id = l.driver_id OR x.constructor_id = l.constructor_id))
FROM race_asset_scores l JOIN races r ON r.id = l.race_id
WHERE r.season_id = $1 AND l.scoring_system = 'grand_prix' AND NOT l.captain
"""


def _race(payload: dict[str, object]) -> fm.FeedRace | None:
    races = fm.RaceEnvelope.model_validate(payload).MRData.RaceTable.Races
    return races[0] if races else None


def feed_round(round: int) -> ResultSet:
    """Return a bundled round's race, qualifying and sprint as the feed gives them."""
    race = _race(
        ergast.results(
            season=SEASON, round=round, now=LATER, final_after=timedelta(0), url="", page=PAGE
        )
    )
    if race is None:
        raise SystemExit(f"the bundled season has no results for round {round}")
    qualifying = _race(ergast.qualifying(season=SEASON, round=round, now=LATER, url="", page=PAGE))
    sprint = _race(ergast.sprint(season=SEASON, round=round, now=LATER, url="", page=PAGE))
    return from_feed(race, qualifying=qualifying, sprint=sprint)


async def history() -> list[tuple[int, int | None, int | None, Decimal]]:
    """Return every price row as (race, driver, constructor, price), in a fixed order."""
    rows = await AssetPrice.filter(season_id=SEASON).order_by(
        "race_id", "driver_id", "constructor_id"
    )
    return [(r.race_id, r.driver_id, r.constructor_id, r.price) for r in rows]


async def run() -> list[list[object]]:
    """Store the season, then time pricing it whole, race by race, again, and a baseline."""
    conn = connections.get("default")
    await load_season(path=ROOT / "webapp" / "catalogue" / f"season_{SEASON}.json")
    races = await Race.filter(season_id=SEASON).order_by("round")
    rows: list[list[object]] = []

    def row(what: str, seconds: float, note: str = "") -> None:
        rows.append([what, f"{seconds * 1000:.1f}", note])

    stored_s = 0.0
    for race in races:
        results = feed_round(race.round)
        _, seconds = await timed(
            partial(store_results, race_id=race.id, results=results, source=ResultSource.FEED)
        )
        stored_s += seconds
    priced = await history()
    row(
        "store + rescore + price 24 rounds (the pipeline, no teams)",
        stored_s,
        f"{len(priced)} prices",
    )

    await conn.execute_script("VACUUM ANALYZE")
    _, base_s = await timed(lambda: conn.execute_query(BASELINE_SQL, [SEASON]))
    row("baseline: read the season's lines and who took part", base_s)

    await AssetPrice.all().delete()
    written, season_s = await timed(lambda: price_season(game=GRAND_PRIX, season_id=SEASON))
    same = "identical to the pipeline's" if await history() == priced else "DIFFERENT"
    row("price_season: 24 races in one statement", season_s, f"{written} rows, {same}")

    again, again_s = await timed(lambda: price_season(game=GRAND_PRIX, season_id=SEASON))
    row("price_season again (idempotent)", again_s, f"{again} rows")

    await AssetPrice.all().delete()
    one_s = 0.0
    for race in races:
        _, seconds = await timed(
            partial(price_races, game=GRAND_PRIX, season_id=SEASON, race_ids=[race.id])
        )
        one_s += seconds
    same_one = "identical" if await history() == priced else "DIFFERENT"
    row(
        "price_races one race at a time, 24 statements",
        one_s,
        f"{one_s / 24 * 1000:.1f} ms a race, {same_one}",
    )
    row("price_season ÷ baseline", season_s, f"{season_s / base_s:.1f} x baseline")
    if same != "identical to the pipeline's" or same_one != "identical" or again:
        raise SystemExit("price changes disagree between runs")
    return rows


async def main() -> None:
    """Run the price-change benchmark on a fresh database."""
    async with bench_services(fresh=True):
        rows = await run()
    print()
    print_table(["run", "ms", "note"], rows)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    asyncio.run(main())

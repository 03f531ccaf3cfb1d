"""Real 2024 weekends through the results pipeline: prices move once per race, as the rules say.

The bundled 2024 season's first rounds are stored as the feed gives them; every price is
checked against a plain reading of the rules (below) over the breakdown lines rescoring
wrote, and a few are worked out by hand.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.market.bundled import bundled, ids, store
from webapp.games.grand_prix import GRAND_PRIX
from webapp.market.changes import price_season
from webapp.market.prices import current_prices
from webapp.models import (
    AssetPrice,
    Constructor,
    Driver,
    Race,
    RaceAssetScore,
    RaceResult,
    SessionResult,
)
from webapp.pipeline import rescore_race

D = Decimal


async def expected_prices(season: int) -> dict[tuple[str, int], list[Decimal]]:
    """Work every asset's price history out from the rules, race by race, in Python."""
    assert GRAND_PRIX.market is not None
    rules = GRAND_PRIX.market.prices
    prices: dict[tuple[str, int], Decimal] = {
        **{("d", d.id): d.price for d in await Driver.filter(season_id=season)},
        **{("c", c.id): c.price for c in await Constructor.filter(season_id=season) if c.price},
    }
    outings: dict[tuple[str, int], list[int]] = {key: [] for key in prices}
    history: dict[tuple[str, int], list[Decimal]] = {key: [] for key in prices}
    for race in await Race.filter(season_id=season, results_version__gt=0).order_by("round"):
        version = race.results_version
        rows = [
            *await RaceResult.filter(race=race, version=version),
            *await SessionResult.filter(race=race, version=version),
        ]
        took_part = {("d", r.driver_id) for r in rows} | {("c", r.constructor_id) for r in rows}
        lines = await RaceAssetScore.filter(race=race, scoring_system="grand_prix", captain=False)
        for line in lines:
            key = ("d", line.driver_id) if line.driver_id else ("c", line.constructor_id)
            if key not in prices or key not in took_part:
                continue
            outings[key].append(line.points)
            form = outings[key][-rules.form_races :]
            before = prices[key]
            per_million = D(sum(form)) / len(form) / before
            band = next(
                b
                for b in rules.bands
                if b.above is None
                or per_million > b.above
                or (b.inclusive and per_million == b.above)
            )
            move = band.dear_move if before >= rules.dear_from else band.cheap_move
            after = before + move
            if move < 0:
                after = max(after, min(before, rules.floor))
            prices[key] = after
            history[key].append(after)
    return history


async def stored_prices(season: int) -> dict[tuple[str, int], list[Decimal]]:
    history: dict[tuple[str, int], list[Decimal]] = {}
    for row in await AssetPrice.filter(game="grand_prix", season_id=season).order_by("race__round"):
        key = ("d", row.driver_id) if row.driver_id else ("c", row.constructor_id)
        history.setdefault(key, []).append(row.price)  # type: ignore[arg-type]
    return history


async def test_four_real_races_move_prices_as_the_rules_say(season_2024: dict[int, Race]) -> None:
    # Round 5 (China) is the season's first sprint weekend.
    for number in (1, 2, 3, 4, 5):
        priced = await store(season_2024[number], bundled(number))
        assert priced["grand_prix"] > 0
    history = await stored_prices(2024)
    assert history == {k: v for k, v in (await expected_prices(2024)).items() if v}
    verstappen, bearman = await ids(Driver, "max_verstappen", "bearman")
    (red_bull,) = await ids(Constructor, "red_bull")
    # Bahrain: Verstappen qualified P1 (10) and won from pole with the fastest lap (25 + 10):
    # 45 on 30.0 is 1.5 per million, above 1.2, and 30.0 is dear: +0.3.
    assert history[("d", verstappen)][0] == D("30.3")
    # Red Bull: Verstappen's 45 and Perez's P5 in qualifying (6) and P2 from P5 (18 + 3),
    # plus both cars in Q3 (10): 82 on 30.0, +0.3.
    assert history[("c", red_bull)][0] == D("30.3")
    # Bearman first raced in Saudi Arabia (round 2): Q11 (0), P7 from P11 (6 + 4) = 10 on
    # 2.4, a cheap +0.6; his price below the floor did not move in Bahrain.
    assert history[("d", bearman)][0] == D("3.0")
    assert len(history[("d", bearman)]) == 1
    grand_prix = await current_prices(game="grand_prix", season_id=2024)
    classic = await current_prices(game="classic", season_id=2024)
    assert grand_prix.drivers[verstappen] == history[("d", verstappen)][-1]
    assert classic.drivers[verstappen] == D("30.0")
    assert (await Driver.get(id=verstappen)).price == D("30.0")


async def test_a_race_is_priced_once_when_its_results_are_first_stored(
    season_2024: dict[int, Race],
) -> None:
    race = season_2024[1]
    full = bundled(1)
    # The 20 drivers who raced and the 10 constructors.
    assert await store(race, full) == {"grand_prix": 30}
    after_first = await stored_prices(2024)
    # The same results again store nothing; a correction re-scores, never re-prices.
    assert await store(race, full) == {}
    # The stewards' correction: the fastest lap was someone else's (rank 1 and 2 swap).
    swap = {1: 2, 2: 1}
    moved = tuple(
        replace(row, fastest_lap_rank=swap.get(row.fastest_lap_rank or 0, row.fastest_lap_rank))
        for row in full.rows
    )
    assert await store(race, replace(full, rows=moved)) == {"grand_prix": 0}
    (verstappen,) = await ids(Driver, "max_verstappen")
    line = await RaceAssetScore.get(race=race, driver_id=verstappen, captain=False)
    assert line.race_points == 25
    await rescore_race(race_id=race.id)
    assert await price_season(game=GRAND_PRIX, season_id=2024) == 0
    assert await stored_prices(2024) == after_first


async def test_a_crash_after_pricing_leaves_nothing(
    season_2024: dict[int, Race], monkeypatch: pytest.MonkeyPatch
) -> None:
    import webapp.pipeline as pipeline

    async def broken(**_: Any) -> list[Any]:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(pipeline, "notify_results", broken)
    with pytest.raises(RuntimeError):
        await store(season_2024[1], bundled(1))
    assert await AssetPrice.all().count() == 0
    monkeypatch.undo()
    assert (await store(season_2024[1], bundled(1)))["grand_prix"] > 0

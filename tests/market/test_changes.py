"""Price changes against hand-worked cases: each band's edges, dear and cheap, the floor, form.

Each race's Grand Prix points are written as its breakdown lines (what rescoring leaves in
race_asset_scores), with a race classification of the assets that took part, so every
figure below is worked out from the rules in docs/games.md alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from webapp.games import registry
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.model import PriceBand
from webapp.market.changes import price_races, price_season
from webapp.market.prices import current_prices
from webapp.models import (
    AssetPrice,
    Constructor,
    Driver,
    Race,
    RaceAssetScore,
    RaceResult,
    RaceStatus,
    ResultSource,
    ResultVersion,
    Season,
)

D = Decimal
START = datetime(2024, 3, 1, tzinfo=UTC)


@dataclass
class Market:
    """A season whose drivers' prices are set per test, with races scored by hand."""

    season: Season
    team: Constructor
    drivers: dict[str, Driver] = field(default_factory=dict)
    races: list[Race] = field(default_factory=list)

    async def driver(self, name: str, price: str) -> Driver:
        self.drivers[name] = await Driver.create(
            season=self.season,
            ref=name,
            first_name=name,
            last_name=name,
            price=D(price),
            constructor=self.team,
        )
        return self.drivers[name]

    async def race(self, points: dict[str, int], *, constructor: int | None = None) -> Race:
        """Add a scored race: each named driver took part and scored `points` as non-captain."""
        number = len(self.races) + 1
        race = await Race.create(
            season=self.season,
            round=number,
            name=f"Race {number}",
            circuit="c",
            country="",
            starts_at=START + timedelta(days=7 * number),
            lock_at=START + timedelta(days=7 * number, hours=-1),
            status=RaceStatus.PROVISIONAL,
            results_version=1,
        )
        await ResultVersion.create(
            race=race, version=1, content_hash="h", source=ResultSource.MANUAL
        )
        for order, (name, scored) in enumerate(points.items(), start=1):
            driver = self.drivers[name]
            await RaceResult.create(
                race=race,
                version=1,
                driver=driver,
                constructor=self.team,
                position=order,
                position_text=str(order),
                position_order=order,
                status="Finished",
            )
            for captain in (False, True):
                # The captain's line is twice the points: pricing must read the other one.
                await self.line(race, driver_id=driver.id, captain=captain, points=scored)
        # Every driver of the season has lines, as rescoring writes them: 0 for the absent.
        for name, driver in self.drivers.items():
            if name not in points:
                for captain in (False, True):
                    await self.line(race, driver_id=driver.id, captain=captain, points=0)
        if constructor is not None:
            await self.line(race, constructor_id=self.team.id, captain=False, points=constructor)
        self.races.append(race)
        return race

    async def line(self, race: Race, *, captain: bool, points: int, **asset: int) -> None:
        await RaceAssetScore.create(
            race=race,
            scoring_system="grand_prix",
            result_version=1,
            captain=captain,
            qualifying_points=0,
            sprint_points=0,
            race_points=points,
            bonus_points=0,
            captain_points=points if captain else 0,
            points=points * 2 if captain else points,
            **asset,
        )

    async def price(self, *races: Race) -> int:
        return await price_races(
            game=GRAND_PRIX, season_id=self.season.year, race_ids=[r.id for r in races]
        )

    async def prices(self) -> dict[str, Decimal]:
        current = await current_prices(game="grand_prix", season_id=self.season.year)
        return {name: current.drivers[d.id] for name, d in self.drivers.items()}

    async def history(self, name: str) -> list[Decimal]:
        rows = await AssetPrice.filter(driver=self.drivers[name]).order_by("race__round")
        return [row.price for row in rows]


@pytest.fixture
async def market(db: None) -> Market:
    season = await Season.create(year=2024, name="2024")
    team = await Constructor.create(season=season, ref="team", name="Team", price=D("20.0"))
    return Market(season=season, team=team)


async def test_dear_assets_move_by_the_dear_bands_edges_included(market: Market) -> None:
    # All priced 20.0 (dear: 18.5 or more); points per million = points / 20.
    cases = {
        "p25": (25, "20.3"),  # 1.25 > 1.2: +0.3
        "p24": (24, "20.1"),  # 1.2 exactly is not above 1.2: the 0.9-1.2 band, +0.1
        "p18": (18, "20.1"),  # 0.9 exactly belongs to 0.9-1.2: +0.1
        "p17": (17, "19.9"),  # 0.85: -0.1
        "p12": (12, "19.9"),  # 0.6 exactly belongs to 0.6-0.9: -0.1
        "p11": (11, "19.7"),  # 0.55 < 0.6: -0.3
        "neg": (-20, "19.7"),  # a negative average is below every bound: -0.3
    }
    for name in cases:
        await market.driver(name, "20.0")
    race = await market.race({name: points for name, (points, _) in cases.items()})
    assert await market.price(race) == len(cases)
    assert await market.prices() == {name: D(after) for name, (_, after) in cases.items()}


async def test_cheap_assets_move_by_the_cheap_bands_edges_included(market: Market) -> None:
    # All priced 10.0 (cheap: under 18.5); points per million = points / 10.
    cases = {
        "p13": (13, "10.6"),  # 1.3: +0.6
        "p12": (12, "10.2"),  # 1.2 exactly: +0.2
        "p9": (9, "10.2"),  # 0.9 exactly: +0.2
        "p8": (8, "9.8"),  # 0.8: -0.2
        "p6": (6, "9.8"),  # 0.6 exactly: -0.2
        "p5": (5, "9.4"),  # 0.5: -0.6
    }
    for name in cases:
        await market.driver(name, "10.0")
    race = await market.race({name: points for name, (points, _) in cases.items()})
    await market.price(race)
    assert await market.prices() == {name: D(after) for name, (_, after) in cases.items()}


async def test_dear_starts_at_18_5(market: Market) -> None:
    await market.driver("at", "18.5")
    await market.driver("under", "18.4")
    race = await market.race({"at": 0, "under": 0})
    await market.price(race)
    # Both below 0.6 points per million: 18.5 is dear (-0.3), 18.4 cheap (-0.6).
    assert await market.prices() == {"at": D("18.2"), "under": D("17.8")}


async def test_no_fall_goes_below_the_floor(market: Market) -> None:
    await market.driver("near", "4.8")
    await market.driver("on", "4.5")
    await market.driver("under", "3.6")
    await market.driver("climbs", "3.6")
    race = await market.race({"near": 0, "on": -5, "under": 0, "climbs": 10})
    await market.price(race)
    # 4.8 - 0.6 would be 4.2: 4.5. A price set under the floor falls no further, and
    # still rises (10 / 3.6 > 1.2: +0.6).
    assert await market.prices() == {
        "near": D("4.5"),
        "on": D("4.5"),
        "under": D("3.6"),
        "climbs": D("4.2"),
    }


async def test_form_is_the_average_of_the_last_three_races(market: Market) -> None:
    await market.driver("a", "10.0")
    r1 = await market.race({"a": 30})
    r2 = await market.race({"a": 0})
    r3 = await market.race({"a": 0})
    r4 = await market.race({"a": 0})
    for race in (r1, r2, r3, r4):
        await market.price(race)
    # 1: 30/1 = 30 per race on 10.0 -> 3.0 ppm: +0.6 -> 10.6.
    # 2: (30+0)/2 = 15 on 10.6 -> 1.415: +0.6 -> 11.2.
    # 3: 30/3 = 10 on 11.2 -> 0.893: -0.2 -> 11.0.
    # 4: the first race drops out: 0 -> -0.6 -> 10.4.
    assert await market.history("a") == [D("10.6"), D("11.2"), D("11.0"), D("10.4")]


async def test_a_season_priced_in_one_statement_equals_race_by_race(market: Market) -> None:
    for name, price in (("a", "10.0"), ("b", "19.0"), ("c", "5.0")):
        await market.driver(name, price)
    races = [
        await market.race({"a": 30, "b": 20, "c": 2}),
        await market.race({"a": 0, "b": 25}),  # c does not take part: keeps its price
        await market.race({"a": 8, "b": 40, "c": 9}),
    ]
    for race in races:
        await market.price(race)
    one_by_one = {name: await market.history(name) for name in "abc"}
    await AssetPrice.all().delete()
    assert await price_season(game=GRAND_PRIX, season_id=market.season.year) == 8
    assert {name: await market.history(name) for name in "abc"} == one_by_one
    # c: 2/5.0 = 0.4 -> -0.6 -> 4.5 (floor); round 2 nothing; round 3 (2+9)/2 = 5.5 on 4.5
    # -> 1.22 -> +0.6 -> 5.1.
    assert one_by_one["c"] == [D("4.5"), D("5.1")]


async def test_an_asset_that_did_not_take_part_keeps_its_price(market: Market) -> None:
    await market.driver("racer", "10.0")
    await market.driver("reserve", "10.0")
    race = await market.race({"racer": 12})
    await market.price(race)
    assert await market.prices() == {"racer": D("10.2"), "reserve": D("10.0")}
    assert await market.history("reserve") == []


async def test_constructors_move_by_their_line(market: Market) -> None:
    await market.driver("a", "10.0")
    race = await market.race({"a": 12}, constructor=30)
    await market.price(race)
    current = await current_prices(game="grand_prix", season_id=market.season.year)
    # 30 / 20.0 = 1.5 on a dear constructor: +0.3.
    assert current.constructors[market.team.id] == D("20.3")


async def test_a_race_is_priced_once(market: Market) -> None:
    await market.driver("a", "10.0")
    race = await market.race({"a": 30})
    assert await market.price(race) == 1
    assert await market.price(race) == 0
    assert await price_season(game=GRAND_PRIX, season_id=market.season.year) == 0
    assert await market.history("a") == [D("10.6")]
    # The starting (classic) price never moves.
    assert (await Driver.get(id=market.drivers["a"].id)).price == D("10.0")


async def test_other_rules_are_read_from_the_game_data(market: Market) -> None:
    assert GRAND_PRIX.market is not None
    rules = replace(
        GRAND_PRIX.market.prices,
        dear_from=D("5.0"),
        bands=(PriceBand(D("2.0"), True, D("1.5"), D("9.9")), PriceBand(None, True, D("-1"), D(0))),
        floor=D("9.0"),
    )
    game = replace(GRAND_PRIX, name="toy_market", market=replace(GRAND_PRIX.market, prices=rules))
    with registry.registered(game):
        await market.driver("a", "10.0")
        await market.driver("b", "10.0")
        race = await market.race({"a": 20, "b": 19})
        await RaceAssetScore.filter(race=race).update(scoring_system="toy_market")
        await price_races(game=game, season_id=market.season.year, race_ids=[race.id])
        rows = await AssetPrice.filter(game="toy_market").order_by("driver__ref")
    # a: 20/10 = 2.0, inclusive: +1.5. b: 1.9: -1, stopped by the floor of 9.0.
    assert [r.price for r in rows] == [D("11.5"), D("9.0")]
    assert await AssetPrice.filter(game="grand_prix").count() == 0

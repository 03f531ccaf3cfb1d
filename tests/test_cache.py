"""Race results and the drivers list come from Redis until a new version or a change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from quart.typing import TestClientProtocol
from redis.asyncio import Redis

import webapp.redis as shared_redis
from webapp import cache
from webapp.models import Driver, Race, RaceResult, User
from webapp.results.maintenance import update_driver_stats
from webapp.results.manual import ManualItem, enter_results

Headers = Callable[[User], dict[str, str]]


async def first_race_items(*, finish_order: list[int]) -> list[ManualItem]:
    return [
        ManualItem(
            driver_id=driver_id,
            position_text=str(place),
            grid=place,
            laps=57,
            status="Finished",
            fastest_lap_rank=None,
        )
        for place, driver_id in enumerate(finish_order, start=1)
    ]


async def price_of(client: TestClientProtocol, driver_id: int) -> float:
    items = (await (await client.get("/api/v1/drivers")).get_json())["items"]
    return next(d["price"] for d in items if d["id"] == driver_id)


async def test_drivers_are_cached_until_an_admin_changes_one(
    client: TestClientProtocol,
    season: int,
    make_user: Callable[..., Awaitable[User]],
    auth_headers: Headers,
) -> None:
    driver = await Driver.filter(season_id=season).order_by("id").first()
    assert driver is not None
    before = await price_of(client, driver.id)
    # Behind the cache's back: readers keep the cached list.
    await Driver.filter(id=driver.id).update(price=Decimal("1.5"))
    assert await price_of(client, driver.id) == before

    admin = await make_user("boss", is_admin=True)
    response = await client.patch(
        f"/api/v1/admin/drivers/{driver.id}", json={"price": 7.5}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    assert await price_of(client, driver.id) == 7.5


async def test_driver_stats_update_refreshes_the_list(
    client: TestClientProtocol, season: int, make_user: Callable[..., Awaitable[User]]
) -> None:
    admin = await make_user("boss", is_admin=True)
    race = await Race.get(season_id=season, round=1)
    drivers = [d.id for d in await Driver.filter(season_id=season).order_by("id")]
    listed = (await (await client.get("/api/v1/drivers")).get_json())["items"]
    assert all(d["season_points"] == 0 for d in listed)

    await enter_results(
        race_id=race.id, items=await first_race_items(finish_order=drivers), admin_id=admin.id
    )
    assert await update_driver_stats(season=season) > 0
    listed = (await (await client.get("/api/v1/drivers")).get_json())["items"]
    winner = next(d for d in listed if d["id"] == drivers[0])
    assert winner["season_points"] == 25


async def test_race_results_follow_each_new_version(
    client: TestClientProtocol, season: int, make_user: Callable[..., Awaitable[User]]
) -> None:
    admin = await make_user("boss", is_admin=True)
    race = await Race.get(season_id=season, round=1)
    drivers = [d.id for d in await Driver.filter(season_id=season).order_by("id")]
    url = f"/api/v1/races/{race.id}/results"
    assert (await client.get(url)).status_code == 404

    await enter_results(
        race_id=race.id, items=await first_race_items(finish_order=drivers), admin_id=admin.id
    )
    first = await (await client.get(url)).get_json()
    assert first["version"] == 1 and first["items"][0]["driver"]["id"] == drivers[0]
    # A stored version never changes, so the cached copy is what readers get.
    await RaceResult.filter(race_id=race.id, version=1).update(laps=1)
    assert (await (await client.get(url)).get_json())["items"][0]["laps"] == 57

    swapped = [drivers[1], drivers[0], *drivers[2:]]
    await enter_results(
        race_id=race.id, items=await first_race_items(finish_order=swapped), admin_id=admin.id
    )
    second = await (await client.get(url)).get_json()
    assert second["version"] == 2
    assert second["items"][0]["driver"]["id"] == drivers[1]
    assert second["status"] == "provisional"


async def test_reads_work_while_redis_is_down(redis: Redis) -> None:
    working = shared_redis._client
    shared_redis._client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        assert await cache.generation(cache.DRIVERS) == 0
        calls = []

        async def build() -> list[int]:
            calls.append(1)
            return [1, 2]

        key = cache.Namespace("t").key("k")
        assert await cache.cached(key=key, build=build, gens=[cache.DRIVERS]) == [1, 2]
        assert await cache.cached(key=key, build=build, gens=[cache.DRIVERS]) == [1, 2]
        assert len(calls) == 2
        await cache.bump(cache.DRIVERS)  # logged, not raised
    finally:
        await shared_redis._client.aclose()
        shared_redis._client = working


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_local_values_last_their_seconds_and_a_bump_here_drops_them(redis: Redis) -> None:
    clock = Clock()
    kept = cache.Local("test-local", seconds=5, depends_on=[cache.RACES], clock=clock)
    other = cache.Local("test-other", seconds=5, depends_on=[cache.DRIVERS], clock=clock)
    kept.put("k", None)  # None is a value too: "no race"
    assert kept.get("k", "absent") is None
    clock.now += 4.9
    assert kept.get("k", "absent") is None
    clock.now += 0.2
    assert kept.get("k", "absent") == "absent"

    kept.put("k", 2)
    other.put("k", 1)
    await cache.bump(cache.RACES)
    assert kept.get("k") is None and other.get("k") == 1
    assert await cache.generation(cache.RACES) == 1


async def test_stamped_values_are_stale_once_their_generation_moves(redis: Redis) -> None:
    key = cache.Namespace("test-stamped").key("a", 1)
    builds: list[int] = []

    async def build() -> dict[str, int]:
        builds.append(1)
        return {"n": len(builds)}

    assert await cache.cached(key=key, build=build, gens=[cache.DRIVERS]) == {"n": 1}
    assert await cache.cached(key=key, build=build, gens=[cache.DRIVERS]) == {"n": 1}
    await cache.bump(cache.DRIVERS)
    assert await cache.cached(key=key, build=build, gens=[cache.DRIVERS]) == {"n": 2}
    assert await redis.ttl(key.redis_key) > 0  # old stamps are overwritten or expire


async def test_the_current_season_follows_a_load_in_this_process(db: None, redis: Redis) -> None:
    from webapp.catalogue.loader import load_season
    from webapp.catalogue.queries import remembered_current_season
    from webapp.models import Season

    await Season.create(year=2019, name="2019")
    assert await remembered_current_season(configured=None) == 2019
    await load_season()  # the bundled season, later than 2019
    assert await remembered_current_season(configured=None) > 2019

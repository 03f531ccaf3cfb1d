"""Operator fixes to the catalogue: driver and constructor prices, race times and status."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from webapp import cache, gameclock
from webapp.errors import AppError
from webapp.models import Constructor, Driver, Race, RaceStatus

PRICE_MAX = Decimal("9999.9")

# Status moves an admin may make: cancel, un-cancel, re-open a final race, lock or
# unlock by hand. Results move races to provisional/final, not admins.
ALLOWED_MOVES: dict[RaceStatus, set[RaceStatus]] = {
    RaceStatus.SCHEDULED: {RaceStatus.LOCKED, RaceStatus.CANCELLED},
    RaceStatus.LOCKED: {RaceStatus.SCHEDULED, RaceStatus.CANCELLED},
    RaceStatus.PROVISIONAL: {RaceStatus.CANCELLED},
    RaceStatus.FINAL: {RaceStatus.PROVISIONAL},
    RaceStatus.CANCELLED: {RaceStatus.SCHEDULED},
}


async def update_driver(
    *, driver_id: int, price: Decimal | None = None, constructor_id: int | None = None
) -> Driver:
    """Change a driver's starting price (see docs/games.md, Prices) and/or constructor."""
    async with in_transaction():
        driver = await Driver.select_for_update(no_key=True).get_or_none(id=driver_id)
        if driver is None:
            raise AppError.not_found("No such driver")
        if price is not None:
            driver.price = _check_price(price)
        if constructor_id is not None:
            constructor = await Constructor.get_or_none(
                id=constructor_id,
                season_id=driver.season_id,
            )
            if constructor is None:
                raise _field_error(
                    "constructor_id",
                    f"No constructor with id {constructor_id} in season {driver.season_id}",
                )
            driver.constructor = constructor
        await driver.save()
    await cache.bump(cache.DRIVERS)
    await driver.fetch_related("constructor")
    return driver


async def update_constructor(*, constructor_id: int, price: Decimal) -> Constructor:
    """Change a constructor's price (what games with constructors in lineups charge)."""
    async with in_transaction():
        constructor = await Constructor.select_for_update(no_key=True).get_or_none(
            id=constructor_id
        )
        if constructor is None:
            raise AppError.not_found("No such constructor")
        constructor.price = _check_price(price)
        await constructor.save(update_fields=["price"])
    # Driver listings carry their constructor, and caches of prices follow the drivers' key.
    await cache.bump(cache.DRIVERS)
    return constructor


async def race_status(*, race_id: int) -> RaceStatus:
    """Return a race's status."""
    race = await Race.get_or_none(id=race_id).only("id", "status")
    if race is None:
        raise AppError.not_found("No such race")
    return RaceStatus(race.status)


async def update_race(
    *,
    race_id: int,
    starts_at: datetime | None = None,
    lock_at: datetime | None = None,
    status: RaceStatus | None = None,
    now: datetime | None = None,
) -> Race:
    """Reschedule, cancel or re-open a race; moving `lock_at` moves the lineup deadline."""
    now = now or gameclock.now()
    async with in_transaction():
        race = await Race.select_for_update(no_key=True).get_or_none(id=race_id)
        if race is None:
            raise AppError.not_found("No such race")
        for field, value in (("starts_at", starts_at), ("lock_at", lock_at)):
            if value is not None and value.tzinfo is None:
                raise _field_error(field, f"{field} needs a time zone (e.g. a trailing Z)")
        new_start = starts_at or race.starts_at
        new_lock = lock_at or race.lock_at
        if new_lock > new_start:
            raise _field_error("lock_at", "Lineups must lock no later than the race starts")
        if status is not None and status != race.status:
            if status not in ALLOWED_MOVES[RaceStatus(race.status)]:
                raise _field_error("status", f"A {race.status} race cannot be set to {status}")
            if status == RaceStatus.SCHEDULED and new_lock <= now:
                raise _field_error(
                    "status", "The lock time has passed: move lock_at to the future first"
                )
            race.status = status
        elif lock_at is not None and race.status == RaceStatus.LOCKED and new_lock > now:
            # A deadline moved into the future unfreezes lineups until then.
            race.status = RaceStatus.SCHEDULED
        race.starts_at, race.lock_at = new_start, new_lock
        await race.save()
    await cache.bump(cache.RACES)
    return race


def _check_price(price: Decimal) -> Decimal:
    if price <= 0 or price > PRICE_MAX:
        raise _field_error("price", f"Price must be above 0 and at most {PRICE_MAX}")
    if price != price.quantize(Decimal("0.1")):
        raise _field_error("price", "Price has one decimal, e.g. 27.5")
    return price.quantize(Decimal("0.1"))


def _field_error(field: str, message: str) -> AppError:
    return AppError("validation_error", message, details={"fields": {field: message}}, field=field)

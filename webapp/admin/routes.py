"""Admin JSON API: fix driver and constructor prices, reschedule, cancel or re-open races."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, ConfigDict, Field
from quart import Blueprint
from quart_schema import validate_request, validate_response

from webapp import pipeline
from webapp.admin import service
from webapp.auth.current import require_admin
from webapp.catalogue import queries
from webapp.catalogue.routes import (
    ConstructorOut,
    DriverOut,
    RaceOut,
    constructor_out,
    driver_out,
    race_out,
)
from webapp.clock import app_now
from webapp.converters import MAX_ID
from webapp.market.prices import market_histories
from webapp.models import RaceStatus
from webapp.schemas import ApiModel

api = Blueprint("admin_api", __name__)


@api.before_request
async def _admins_only() -> None:
    # Before body validation, so a non-admin learns nothing about the endpoint's input.
    await require_admin()


class DriverPatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    price: Decimal | None = Field(default=None, allow_inf_nan=False, description="One decimal")
    constructor_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class ConstructorPatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    price: Decimal = Field(allow_inf_nan=False, description="One decimal")


class RacePatch(ApiModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime | None = None
    lock_at: AwareDatetime | None = Field(default=None, description="The lineup deadline")
    status: RaceStatus | None = Field(
        default=None, description="cancel, un-cancel, re-open a final race, lock or unlock"
    )


@api.patch("/admin/drivers/<int:driver_id>")
@validate_request(DriverPatch)
@validate_response(DriverOut)
async def patch_driver(driver_id: int, data: DriverPatch) -> DriverOut:
    """Change a driver's starting price or constructor (admins only)."""
    driver = await service.update_driver(
        driver_id=driver_id, price=data.price, constructor_id=data.constructor_id
    )
    return driver_out(driver, await market_histories(season_id=driver.season_id))


@api.patch("/admin/constructors/<int:constructor_id>")
@validate_request(ConstructorPatch)
@validate_response(ConstructorOut)
async def patch_constructor(constructor_id: int, data: ConstructorPatch) -> ConstructorOut:
    """Change a constructor's starting price (admins only)."""
    constructor = await service.update_constructor(constructor_id=constructor_id, price=data.price)
    return constructor_out(constructor, await market_histories(season_id=constructor.season_id))


@api.patch("/admin/races/<int:race_id>")
@validate_request(RacePatch)
@validate_response(RaceOut)
async def patch_race(race_id: int, data: RacePatch) -> RaceOut:
    """Reschedule, cancel or re-open a race (admins only)."""
    previous = await service.race_status(race_id=race_id)
    race = await service.update_race(
        race_id=race_id,
        starts_at=data.starts_at,
        lock_at=data.lock_at,
        status=data.status,
        now=app_now(),
    )
    if race.status != previous:
        await pipeline.race_status_changed(race=race, previous=previous)
    return race_out(await queries.get_race(race_id=race.id))

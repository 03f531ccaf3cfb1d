"""Read a season file and upsert its season, constructors, drivers and races."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from webapp import cache
from webapp.errors import AppError
from webapp.models import Constructor, Driver, Race, Season

BUNDLED_SEASON = Path(__file__).with_name("season_2025.json")
LOCK_FALLBACK = timedelta(hours=24)
RACE_TIMES = ("starts_at", "qualifying_at", "sprint_qualifying_at", "sprint_at")

Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str, Field(min_length=1, max_length=100)]


def lock_time(
    *,
    starts_at: datetime,
    qualifying_at: datetime | None,
    sprint_qualifying_at: datetime | None,
) -> datetime:
    """Return when lineups lock: sprint qualifying, else qualifying, else 24 h before the race."""
    if sprint_qualifying_at is not None:
        return sprint_qualifying_at
    if qualifying_at is not None:
        return qualifying_at
    return starts_at - LOCK_FALLBACK


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConstructorEntry(_Entry):
    ref: Ref
    name: Text
    nationality: Annotated[str, Field(max_length=60)] = ""


class DriverEntry(_Entry):
    ref: Ref
    code: Annotated[str, Field(pattern=r"^([A-Z]{3})?$")] = ""
    number: Annotated[int, Field(ge=0, le=99)] | None = None
    first_name: Annotated[str, Field(min_length=1, max_length=60)]
    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    nationality: Annotated[str, Field(max_length=60)] = ""
    constructor: Ref
    price: Annotated[Decimal, Field(gt=0, max_digits=5, decimal_places=1)]


class RaceEntry(_Entry):
    round: Annotated[int, Field(ge=1, le=99)]
    name: Text
    circuit: Text
    locality: Annotated[str, Field(max_length=100)] = ""
    country: Annotated[str, Field(min_length=1, max_length=60)]
    starts_at: AwareDatetime
    qualifying_at: AwareDatetime | None = None
    sprint_qualifying_at: AwareDatetime | None = None
    sprint_at: AwareDatetime | None = None

    @field_validator(*RACE_TIMES)
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _sessions_before_race(self) -> RaceEntry:
        for name in RACE_TIMES[1:]:
            session = getattr(self, name)
            if session is not None and session >= self.starts_at:
                raise ValueError(f"{name} must be before starts_at")
        if (
            self.sprint_qualifying_at is not None
            and self.sprint_at is not None
            and self.sprint_qualifying_at >= self.sprint_at
        ):
            raise ValueError("sprint_qualifying_at must be before sprint_at")
        return self


class SeasonFile(_Entry):
    season: Annotated[int, Field(ge=1950, le=2100)]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    pricing_note: str = ""
    constructors: Annotated[list[ConstructorEntry], Field(min_length=1)]
    drivers: Annotated[list[DriverEntry], Field(min_length=1)]
    races: Annotated[list[RaceEntry], Field(min_length=1)]
    # A finished season's classifications, which the replay feed serves (webapp/replay);
    # loading a season never stores results.
    result_columns: list[str] = Field(default_factory=list)
    results: list[dict[str, Any]] = Field(default_factory=list)


def _invalid(path: Path, problems: dict[str, str]) -> AppError:
    summary = "; ".join(f"{field}: {msg}" for field, msg in list(problems.items())[:5])
    more = len(problems) - 5
    if more > 0:
        summary += f" (and {more} more)"
    return AppError(
        "invalid_season_file",
        f"Season file {path.name} is invalid: {summary}",
        field=next(iter(problems)),
        details={"file": str(path), "fields": problems},
    )


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name or "file"


def _check_references(data: SeasonFile) -> dict[str, str]:
    problems: dict[str, str] = {}
    for kind, keys in (
        ("constructors", [c.ref for c in data.constructors]),
        ("drivers", [d.ref for d in data.drivers]),
        ("races", [r.round for r in data.races]),
    ):
        seen: set[object] = set()
        key = "round" if kind == "races" else "ref"
        for index, value in enumerate(keys):
            if value in seen:
                problems[f"{kind}[{index}].{key}"] = f"duplicate {key} {value!r}"
            seen.add(value)
    known = {c.ref for c in data.constructors}
    for index, driver in enumerate(data.drivers):
        if driver.constructor not in known:
            problems[f"drivers[{index}].constructor"] = (
                f"unknown constructor {driver.constructor!r} for driver {driver.ref!r}"
            )
    return problems


def read_season_file(*, path: Path) -> SeasonFile:
    """Parse and validate a season file, raising `invalid_season_file` on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _invalid(path, {"file": f"cannot be read ({exc.strerror or exc})"}) from exc
    try:
        # Decimal keeps prices exact: 28.8 must not become 28.799999...
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _invalid(path, {"file": f"not valid JSON ({exc})"}) from exc
    try:
        data = SeasonFile.model_validate(raw)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] not in {"missing", "extra_forbidden", "value_error"}:
                message += f" (got {err['input']!r})"
            problems.setdefault(_field_name(tuple(err["loc"])), message)
        raise _invalid(path, problems) from exc
    problems = _check_references(data)
    if problems:
        raise _invalid(path, problems)
    return data


def _apply(row: Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ on the row and return their names."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


async def _upsert[M: Model](
    model: type[M],
    existing: M | None,
    values: dict[str, Any],
    *,
    created: dict[str, Any],
    conn: BaseDBAsyncClient,
    counts: dict[str, int],
    kind: str,
) -> M:
    if existing is None:
        counts[f"{kind}_created"] += 1
        return await model.create(using_db=conn, **values, **created)
    changed = _apply(existing, values)
    if changed:
        counts[f"{kind}_updated"] += 1
        await existing.save(using_db=conn, update_fields=changed)
    return existing


async def load_season(*, path: Path | None = None) -> dict[str, int]:
    """Load the bundled (or given) season file, creating or updating its rows in one go."""
    data = read_season_file(path=path or BUNDLED_SEASON)
    counts = {
        f"{kind}_{verb}": 0
        for kind in ("seasons", "constructors", "drivers", "races")
        for verb in ("created", "updated")
    }
    async with in_transaction() as conn:
        season = await _upsert(
            Season,
            await Season.filter(year=data.season).using_db(conn).first(),
            {"name": data.name},
            created={"year": data.season},
            conn=conn,
            counts=counts,
            kind="seasons",
        )
        in_season = {"season_id": season.year}

        constructors = {
            row.ref: row for row in await Constructor.filter(**in_season).using_db(conn)
        }
        for entry in data.constructors:
            constructors[entry.ref] = await _upsert(
                Constructor,
                constructors.get(entry.ref),
                entry.model_dump(exclude={"ref"}),
                created={**in_season, "ref": entry.ref},
                conn=conn,
                counts=counts,
                kind="constructors",
            )

        drivers = {row.ref: row for row in await Driver.filter(**in_season).using_db(conn)}
        for driver in data.drivers:
            values = driver.model_dump(exclude={"ref", "constructor", "price"})
            values["constructor_id"] = constructors[driver.constructor].id
            # The file's price only seeds new rows: admins own prices afterwards.
            await _upsert(
                Driver,
                drivers.get(driver.ref),
                values,
                created={**in_season, "ref": driver.ref, "price": driver.price},
                conn=conn,
                counts=counts,
                kind="drivers",
            )

        races = {row.round: row for row in await Race.filter(**in_season).using_db(conn)}
        for race in data.races:
            values = race.model_dump(exclude={"round"})
            row = races.get(race.round)
            # An admin may have moved lock_at; only a calendar change recomputes it.
            if row is None or any(getattr(row, name) != values[name] for name in RACE_TIMES):
                values["lock_at"] = lock_time(
                    starts_at=race.starts_at,
                    qualifying_at=race.qualifying_at,
                    sprint_qualifying_at=race.sprint_qualifying_at,
                )
            await _upsert(
                Race,
                row,
                values,
                created={**in_season, "round": race.round},
                conn=conn,
                counts=counts,
                kind="races",
            )
    await cache.bump(cache.DRIVERS, cache.RACES, cache.SEASONS)
    return counts

"""Read a season file and upsert its season, constructors, drivers and races."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from tortoise.transactions import in_transaction

from webapp import cache
from webapp.catalogue import upsert
from webapp.catalogue.upsert import RACE_TIMES
from webapp.errors import AppError
from webapp.progress import Progress, quiet

BUNDLED_SEASON = Path(__file__).with_name("season_2025.json")
Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str, Field(min_length=1, max_length=100)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConstructorEntry(_Entry):
    ref: Ref
    name: Text
    nationality: Annotated[str, Field(max_length=60)] = ""
    price: Annotated[Decimal, Field(gt=0, max_digits=5, decimal_places=1)] | None = None


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
    qualifying_columns: list[str] = Field(default_factory=list)
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


def catalogue_of(data: SeasonFile) -> upsert.Catalogue:
    """Return the season file's catalogue; its prices seed new (or unpriced) rows only."""
    return upsert.Catalogue(
        season=data.season,
        name=data.name,
        rename=True,
        constructors=[
            upsert.ConstructorEntry(
                ref=c.ref, values={"name": c.name, "nationality": c.nationality}, price=c.price
            )
            for c in data.constructors
        ],
        drivers=[
            upsert.DriverEntry(
                ref=d.ref,
                values={
                    "code": d.code,
                    "number": d.number,
                    "first_name": d.first_name,
                    "last_name": d.last_name,
                    "nationality": d.nationality,
                },
                teams=(d.constructor,),
                price=d.price,
            )
            for d in data.drivers
        ],
        races=[
            upsert.RaceEntry(
                round=r.round,
                values={
                    "name": r.name,
                    "circuit": r.circuit,
                    "locality": r.locality,
                    "country": r.country,
                    "starts_at": r.starts_at,
                    "qualifying_at": r.qualifying_at,
                    "sprint_qualifying_at": r.sprint_qualifying_at,
                    "sprint_at": r.sprint_at,
                },
            )
            for r in data.races
        ],
    )


async def load_season(*, path: Path | None = None, progress: Progress = quiet) -> dict[str, int]:
    """Load the bundled (or given) season file, creating or updating its rows in one go."""
    data = read_season_file(path=path or BUNDLED_SEASON)
    async with in_transaction() as conn:
        counts = await upsert.upsert_catalogue(
            catalogue=catalogue_of(data), conn=conn, progress=progress
        )
    await cache.bump(cache.DRIVERS, cache.RACES, cache.SEASONS)
    return counts

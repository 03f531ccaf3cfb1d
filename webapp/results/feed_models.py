"""Pydantic models of the Ergast-format JSON the results feed answers (every value a string)."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

INT_RE = re.compile(r"^-?\d+$")
POSITION_TEXT_RE = r"^(\d+|R|D|E|W|F|N)$"


def _int_from_string(value: Any) -> Any:
    if isinstance(value, str):
        if not INT_RE.match(value.strip()):
            raise ValueError(f"expected a whole number as a string, got {value!r}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number as a string, got {value!r}")
    return value


def _decimal_from_string(value: Any) -> Any:
    if isinstance(value, str | int):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"expected a number as a string, got {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"expected a number as a string, got {value!r}")
        return number
    raise ValueError(f"expected a number as a string, got {value!r}")


IntStr = Annotated[int, BeforeValidator(_int_from_string)]
DecimalStr = Annotated[Decimal, BeforeValidator(_decimal_from_string)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Ref = Annotated[str, Field(min_length=1, max_length=64)]


class FeedModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class Session(FeedModel):
    date: dt.date
    time: str | None = None

    @property
    def starts_at(self) -> datetime:
        """Return the session start in UTC (midnight when the feed gives no time)."""
        if not self.time:
            return datetime.combine(self.date, dt.time(0), UTC)
        parsed = dt.time.fromisoformat(self.time.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return datetime.combine(self.date, parsed).astimezone(UTC)


class LocationInfo(FeedModel):
    locality: str = ""
    country: Annotated[str, Field(min_length=1, max_length=60)]


class CircuitInfo(FeedModel):
    circuitId: Ref
    circuitName: Name
    Location: LocationInfo


class FeedDriver(FeedModel):
    driverId: Ref
    permanentNumber: IntStr | None = None
    code: Annotated[str, Field(max_length=3)] = ""
    givenName: Annotated[str, Field(min_length=1, max_length=60)]
    familyName: Annotated[str, Field(min_length=1, max_length=60)]
    nationality: Annotated[str, Field(max_length=60)] = ""


class FeedConstructor(FeedModel):
    constructorId: Ref
    name: Name
    nationality: Annotated[str, Field(max_length=60)] = ""


class LapTime(FeedModel):
    time: str = ""


class FastestLapInfo(FeedModel):
    rank: IntStr | None = None
    Time: LapTime | None = None


class FeedResult(FeedModel):
    position: IntStr
    positionText: Annotated[str, Field(pattern=POSITION_TEXT_RE)]
    points: DecimalStr
    Driver: FeedDriver
    Constructor: FeedConstructor
    grid: IntStr
    laps: IntStr
    status: Annotated[str, Field(min_length=1, max_length=60)]
    FastestLap: FastestLapInfo | None = None


class QualifyingResult(FeedModel):
    position: IntStr
    Driver: FeedDriver
    Constructor: FeedConstructor
    # A part's lap time, absent or empty when the driver set none in it (or did not reach it).
    Q1: Annotated[str, Field(max_length=20)] | None = None
    Q2: Annotated[str, Field(max_length=20)] | None = None
    Q3: Annotated[str, Field(max_length=20)] | None = None

    @property
    def reached(self) -> int:
        """Return the last part of qualifying with a time set (1, 2 or 3), 0 for none in Q1."""
        if not self.Q1:
            return 0
        return 3 if self.Q3 else 2 if self.Q2 else 1


class FeedRace(FeedModel):
    season: IntStr
    round: IntStr
    raceName: Name
    Circuit: CircuitInfo
    date: dt.date
    time: str | None = None
    Qualifying: Session | None = None
    SprintQualifying: Session | None = None
    SprintShootout: Session | None = None
    Sprint: Session | None = None
    Results: list[FeedResult] = Field(default_factory=list)
    SprintResults: list[FeedResult] = Field(default_factory=list)
    QualifyingResults: list[QualifyingResult] = Field(default_factory=list)

    @property
    def starts_at(self) -> datetime:
        """Return the race start in UTC."""
        return Session(date=self.date, time=self.time).starts_at

    @property
    def sprint_qualifying(self) -> Session | None:
        """Return sprint qualifying, which the feed called SprintShootout in 2023."""
        return self.SprintQualifying or self.SprintShootout


class Page(FeedModel):
    limit: IntStr
    offset: IntStr
    total: IntStr


class RaceTableInfo(FeedModel):
    Races: list[FeedRace]


class DriverTableInfo(FeedModel):
    Drivers: list[FeedDriver]


class ConstructorTableInfo(FeedModel):
    Constructors: list[FeedConstructor]


class RacePage(Page):
    RaceTable: RaceTableInfo


class DriverPage(Page):
    DriverTable: DriverTableInfo


class ConstructorPage(Page):
    ConstructorTable: ConstructorTableInfo


class Envelope(FeedModel):
    """One page of any listing: each kind below narrows what its MRData holds."""

    MRData: Page


class RaceEnvelope(Envelope):
    MRData: RacePage


class DriverEnvelope(Envelope):
    MRData: DriverPage


class ConstructorEnvelope(Envelope):
    MRData: ConstructorPage

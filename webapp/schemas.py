"""Shared pieces of the JSON API's schemas: times with Z, numbers, pagination."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

MAX_LIMIT = 200

T = TypeVar("T")


def iso_z(value: datetime) -> str:
    """Format an aware datetime as ISO 8601 UTC with a `Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, PlainSerializer(iso_z, return_type=str)]
Number = Annotated[Decimal, PlainSerializer(float, return_type=float)]


class ApiModel(BaseModel):
    """Base of every request and response body."""

    model_config = ConfigDict(from_attributes=True)


class OwnerRef(ApiModel):
    """Who owns a team or a league, as every answer names them."""

    id: int
    username: str


class Page(BaseModel):
    """`limit` and `offset` of every list endpoint; large limits are clamped, not refused.

    Lists read from the database pass `clamped` and `offset` to their query; lists held
    whole in memory (a season's calendar, a cached driver list) take their `window`.
    """

    limit: int = Field(default=50, ge=1)
    # PostgreSQL takes OFFSET as a bigint; nobody pages two billion rows in.
    offset: int = Field(default=0, ge=0, le=2**31 - 1)

    @property
    def clamped(self) -> int:
        """Return the limit after clamping to the maximum page size."""
        return min(self.limit, MAX_LIMIT)

    def window(self, rows: Sequence[T]) -> list[T]:
        """Return the rows of this page of a list held whole."""
        return list(rows[self.offset : self.offset + self.clamped])

"""Fixtures of the profile tests: the statistics tests' season of three teams."""

from __future__ import annotations

from tests.stats.conftest import two_races, world

__all__ = ["two_races", "world"]

"""Real rounds of the bundled 2024 season, as the feed gives them, through the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webapp.models import Constructor, Driver, Race, ResultSource
from webapp.pipeline import store_results
from webapp.replay import ergast
from webapp.results import feed_models as fm
from webapp.results.rows import ResultSet, from_feed

LATER = datetime(2030, 1, 1, tzinfo=UTC)
PAGE = ergast.Window(limit=100)


def _race(payload: dict[str, Any]) -> fm.FeedRace | None:
    races = fm.RaceEnvelope.model_validate(payload).MRData.RaceTable.Races
    return races[0] if races else None


def bundled(round: int) -> ResultSet:
    """Return a 2024 round's race, qualifying and sprint as the feed gives them."""
    race = _race(
        ergast.results(
            season=2024, round=round, now=LATER, final_after=timedelta(0), url="", page=PAGE
        )
    )
    assert race is not None
    qualifying = _race(ergast.qualifying(season=2024, round=round, now=LATER, url="", page=PAGE))
    sprint = _race(ergast.sprint(season=2024, round=round, now=LATER, url="", page=PAGE))
    return from_feed(race, qualifying=qualifying, sprint=sprint)


async def store(race: Race, results: ResultSet) -> dict[str, int]:
    outcome = await store_results(race_id=race.id, results=results, source=ResultSource.FEED)
    return outcome.priced


async def ids(model: type[Driver] | type[Constructor], *refs: str) -> list[int]:
    rows = await model.filter(season_id=2024, ref__in=refs)
    by_ref = {row.ref: row.id for row in rows}
    return [by_ref[ref] for ref in refs]

"""Ergast-shaped answers of the replay feed: what a bundled season shows at a season time.

Calendar and entries are out at once. A race's classification is out RESULTS_AFTER after
its start: first the order on the road where the bundle records one (`provisional`), then
the final classification from `final_after` later (the caller derives it from the
verification checks the poller makes). Sprint and qualifying are out RESULTS_AFTER after
their session starts: the sprint with its grid, positionText and fastest-lap ranks, the
qualifying order with each part's lap time (Q1, Q2, Q3) where the driver set one. Before
that a listing is the Ergast shape with no Races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from webapp.errors import AppError
from webapp.replay.timeline import RESULTS_AFTER, bundle

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
# Ergast named sprint qualifying this way in its first season only.
SHOOTOUT_SEASONS = (2023,)
Json = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """One page of a listing: Ergast's `limit` (capped) and `offset`."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


def window(*, limit: str | None, offset: str | None) -> Window:
    """Read `limit` and `offset` from a query string, refusing what is not a whole number."""
    return Window(
        limit=min(_whole(limit, name="limit", default=DEFAULT_LIMIT, least=1), MAX_LIMIT),
        offset=_whole(offset, name="offset", default=0, least=0),
    )


def _whole(text: str | None, *, name: str, default: int, least: int) -> int:
    if text is None:
        return default
    text = text.strip()
    if not text.isdigit() or int(text) < least or int(text) > 2**31 - 1:
        rule = "a positive whole number" if least else "a whole number, 0 or more"
        raise AppError(
            "validation_error",
            f"Invalid input ({name}: must be {rule})",
            details={"fields": {name: f"must be {rule}"}},
            field=name,
        )
    return int(text)


def _season(season: int) -> Json:
    """Return the bundle of a season the replay can serve, or refuse it as not found."""
    try:
        return bundle(season)
    except AppError:
        raise AppError.not_found(f"The replay feed has no season {season}") from None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _session(value: str) -> Json:
    """Return an Ergast session: date and time apart, the time with a trailing Z."""
    at = _time(value)
    return {"date": at.date().isoformat(), "time": at.strftime("%H:%M:%SZ")}


def _envelope(*, url: str, page: Window, total: int, table: str, body: Json) -> Json:
    return {
        "MRData": {
            "xmlns": "",
            "series": "f1",
            "url": url,
            "limit": str(page.limit),
            "offset": str(page.offset),
            "total": str(total),
            table: body,
        }
    }


def _driver(info: Json) -> Json:
    out = {
        "driverId": info["ref"],
        "code": info.get("code") or "",
        "url": "",
        "givenName": info["first_name"],
        "familyName": info["last_name"],
        "nationality": info.get("nationality") or "",
    }
    if info.get("number") is not None:
        out["permanentNumber"] = str(info["number"])
    return out


def _constructor(info: Json) -> Json:
    return {
        "constructorId": info["ref"],
        "url": "",
        "name": info["name"],
        "nationality": info.get("nationality") or "",
    }


def _race(data: Json, race: Json) -> Json:
    """Return a calendar entry: the race, its circuit and its sessions."""
    results = _round_results(data, race["round"])
    circuit_ref = results.get("circuit_ref") or race["circuit"].lower().replace(" ", "_")
    out: Json = {
        "season": str(data["season"]),
        "round": str(race["round"]),
        "url": "",
        "raceName": race["name"],
        "Circuit": {
            "circuitId": circuit_ref,
            "url": "",
            "circuitName": race["circuit"],
            "Location": {"locality": race.get("locality") or "", "country": race["country"]},
        },
        **_session(race["starts_at"]),
    }
    if race.get("qualifying_at"):
        out["Qualifying"] = _session(race["qualifying_at"])
    if race.get("sprint_qualifying_at"):
        name = "SprintShootout" if data["season"] in SHOOTOUT_SEASONS else "SprintQualifying"
        out[name] = _session(race["sprint_qualifying_at"])
    if race.get("sprint_at"):
        out["Sprint"] = _session(race["sprint_at"])
    return out


def _round_results(data: Json, round: int) -> Json:
    found: Json = next((r for r in data["results"] if r["round"] == round), {})
    return found


def _points(value: float) -> str:
    """Write points as the feed does: `25`, `0.5`."""
    return f"{value:g}"


def _result(data: Json, position: int, row: list[Any]) -> Json:
    """Return one classified row in Ergast's shape."""
    cells = dict(zip(data["result_columns"], row, strict=False))
    drivers = {d["ref"]: d for d in data["drivers"]}
    constructors = {c["ref"]: c for c in data["constructors"]}
    driver = drivers[cells["driver"]]
    out: Json = {
        "number": str(driver.get("number") or ""),
        "position": str(position),
        "positionText": cells["position_text"],
        "points": _points(cells["points"]),
        "Driver": _driver(driver),
        "Constructor": _constructor(constructors[cells["constructor"]]),
        "grid": str(cells["grid"]),
        "laps": str(cells["laps"]),
        "status": cells["status"],
    }
    if cells.get("fastest_lap_rank") is not None:
        out["FastestLap"] = {"rank": str(cells["fastest_lap_rank"])}
    return out


def _qualifying(data: Json, position: int, row: list[Any]) -> Json:
    """Return one qualifying line in Ergast's shape, with the lap time of each part set."""
    columns = data.get("qualifying_columns") or ["driver", "constructor"]
    cells = dict(zip(columns, row, strict=False))
    drivers = {d["ref"]: d for d in data["drivers"]}
    constructors = {c["ref"]: c for c in data["constructors"]}
    driver = drivers[cells["driver"]]
    out: Json = {
        "number": str(driver.get("number") or ""),
        "position": str(position),
        "Driver": _driver(driver),
        "Constructor": _constructor(constructors[cells["constructor"]]),
    }
    # Like the feed: a part's key only where the driver set a time in it.
    for part in ("q1", "q2", "q3"):
        if cells.get(part):
            out[part.upper()] = cells[part]
    return out


def _race_entry(data: Json, round: int) -> Json | None:
    return next((r for r in data["races"] if r["round"] == round), None)


def _race_table(
    *, data: Json, url: str, page: Window, races: list[Json], key: str | None, round: int | None
) -> Json:
    """Return one page of races, paged by race or, for classifications, by result row."""
    body: Json = {"season": str(data["season"])}
    if round is not None:
        body["round"] = str(round)
    if key is None:
        total, body["Races"] = len(races), races[page.offset : page.offset + page.limit]
    else:
        rows = [(i, row) for i, race in enumerate(races) for row in race[key]]
        total = len(rows)
        pages: dict[int, Json] = {}
        for i, row in rows[page.offset : page.offset + page.limit]:
            pages.setdefault(i, {**races[i], key: []})[key].append(row)
        body["Races"] = list(pages.values())
    return _envelope(url=url, page=page, total=total, table="RaceTable", body=body)


def _items(
    *, url: str, page: Window, table: str, name: str, items: list[Json], **extra: str
) -> Json:
    body: Json = {**extra, name: items[page.offset : page.offset + page.limit]}
    return _envelope(url=url, page=page, total=len(items), table=table, body=body)


def calendar(*, season: int, url: str, page: Window) -> Json:
    """Return the season's races with their session times."""
    data = _season(season)
    races = [_race(data, r) for r in sorted(data["races"], key=lambda r: r["round"])]
    return _race_table(data=data, url=url, page=page, races=races, key=None, round=None)


def drivers(*, season: int, url: str, page: Window, constructor: str | None = None) -> Json:
    """Return the season's drivers, or those who drove for `constructor` in it."""
    data = _season(season)
    refs = [d["ref"] for d in data["drivers"]]
    extra = {"season": str(season)}
    if constructor is not None:
        # Like Ergast: everyone who raced for the team in the season, and its named drivers.
        drove = {
            row[0]
            for entry in data["results"]
            for key in ("race", "sprint")
            for row in entry.get(key, [])
            if row[1] == constructor
        }
        drove |= {d["ref"] for d in data["drivers"] if d.get("constructor") == constructor}
        refs = [ref for ref in refs if ref in drove]
        extra["constructorId"] = constructor
    by_ref = {d["ref"]: d for d in data["drivers"]}
    items = [_driver(by_ref[ref]) for ref in sorted(refs)]
    return _items(url=url, page=page, table="DriverTable", name="Drivers", items=items, **extra)


def constructors(*, season: int, url: str, page: Window) -> Json:
    """Return the season's constructors."""
    data = _season(season)
    items = [_constructor(c) for c in sorted(data["constructors"], key=lambda c: c["ref"])]
    return _items(
        url=url,
        page=page,
        table="ConstructorTable",
        name="Constructors",
        items=items,
        season=str(season),
    )


def race_order(*, season: int, round: int, now: datetime, final_after: timedelta) -> str | None:
    """Return which classification of a race is out at `now`: provisional, final or None."""
    data = _season(season)
    race = _race_entry(data, round)
    entry = _round_results(data, round)
    if race is None or not entry.get("race"):
        return None
    out_at = _time(race["starts_at"]) + RESULTS_AFTER
    if now < out_at:
        return None
    if entry.get("provisional") and now < out_at + final_after:
        return "provisional"
    return "final"


def results(
    *, season: int, round: int, now: datetime, final_after: timedelta, url: str, page: Window
) -> Json:
    """Return the race's classification out at `now` (provisional, then final), or none."""
    data = _season(season)
    order = race_order(season=season, round=round, now=now, final_after=final_after)
    races = []
    if order is not None:
        rows = _round_results(data, round)["race" if order == "final" else "provisional"]
        race = _race(data, _race_entry(data, round) or {})
        race["Results"] = [_result(data, i, row) for i, row in enumerate(rows, start=1)]
        races.append(race)
    return _race_table(data=data, url=url, page=page, races=races, key="Results", round=round)


def _session_out(race: Json | None, session: str, now: datetime) -> bool:
    return bool(race and race.get(session) and _time(race[session]) + RESULTS_AFTER <= now)


def sprint(*, season: int, round: int, now: datetime, url: str, page: Window) -> Json:
    """Return the sprint's classification once out at `now`, or none."""
    data = _season(season)
    race = _race_entry(data, round)
    rows = _round_results(data, round).get("sprint") or []
    races = []
    if rows and race is not None and _session_out(race, "sprint_at", now):
        shown = _race(data, race)
        shown["SprintResults"] = [_result(data, i, row) for i, row in enumerate(rows, start=1)]
        races.append(shown)
    return _race_table(data=data, url=url, page=page, races=races, key="SprintResults", round=round)


def qualifying(*, season: int, round: int, now: datetime, url: str, page: Window) -> Json:
    """Return the qualifying order once out at `now`, or none."""
    data = _season(season)
    race = _race_entry(data, round)
    rows = _round_results(data, round).get("qualifying") or []
    races = []
    if rows and race is not None and _session_out(race, "qualifying_at", now):
        shown = _race(data, race)
        shown["QualifyingResults"] = [
            _qualifying(data, i, row) for i, row in enumerate(rows, start=1)
        ]
        races.append(shown)
    return _race_table(
        data=data, url=url, page=page, races=races, key="QualifyingResults", round=round
    )

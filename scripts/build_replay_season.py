"""Build a bundled replay season (webapp/catalogue/season_YYYY.json) from Ergast CSV tables.

    python scripts/build_replay_season.py FOLDER YEAR [--out FILE]

FOLDER holds Ergast's races, results, sprint_results, qualifying, drivers, constructors,
circuits and status CSV tables. The file written is a season file the loader reads (the
calendar, the entries and our prices) plus each round's classifications for the replay
feed, keeping only the fields the feed serves and the app reads.

Prices follow the rule of the bundled 2025 season: rank the drivers by the previous
season's championship points plus half the previous constructors' points of their team,
ties broken by ref; the top one costs 30.0 and each next one 1.2 less. Constructors are
ranked by the previous season's constructors' points of the team (or of the one it raced
as then), ties broken by ref; the top one costs 30.0 and each next one 2.4 less. When the
tables hold no results of the previous season, the season's own constructors' points rank
them instead (the note says so).

Qualifying rows keep each part's lap time (Q1, Q2, Q3; null for none), from which the
feed client reads the part each car reached. A sprint's fastest-lap rank is read from the
sprint's fastest lap times (the tables rank few sprints).

Where a driver was disqualified after finishing (he keeps a race time), the road order is
rebuilt from the times and kept as the round's provisional classification.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

NONE = "\\N"
TOP_PRICE = Decimal("30.0")
PRICE_STEP = Decimal("1.2")
CONSTRUCTOR_TOP_PRICE = Decimal("30.0")
CONSTRUCTOR_PRICE_STEP = Decimal("2.4")
RACE_POINTS = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
FASTEST_LAP_POINT_YEARS = range(2019, 2025)
# Teams renamed between seasons: the new ref and the one it raced under the year before.
LINEAGE = {"rb": "alphatauri", "sauber": "alfa", "racing_bulls": "rb"}
ROW_COLUMNS = ["driver", "constructor", "grid", "position_text", "points", "laps", "status"]
QUALIFYING_COLUMNS = ["driver", "constructor", "q1", "q2", "q3"]


def read(folder: Path, table: str) -> list[dict[str, str]]:
    """Return the rows of one CSV table."""
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def value(text: str) -> str | None:
    """Return the cell, or None for Ergast's no-value marker."""
    return None if text in (NONE, "") else text


def at(date: str, time: str) -> str | None:
    """Return a session start as an ISO UTC time, or None when the table has none."""
    if value(date) is None:
        return None
    return f"{date}T{value(time) or '00:00:00'}Z"


class Tables:
    """The CSV tables of one folder, with lookups by id."""

    def __init__(self, folder: Path) -> None:
        self.races = read(folder, "races")
        self.results = read(folder, "results")
        self.sprints = read(folder, "sprint_results")
        self.qualifying = read(folder, "qualifying")
        self.drivers = {row["driverId"]: row for row in read(folder, "drivers")}
        self.constructors = {row["constructorId"]: row for row in read(folder, "constructors")}
        self.circuits = {row["circuitId"]: row for row in read(folder, "circuits")}
        self.status = {row["statusId"]: row["status"] for row in read(folder, "status")}

    def season_races(self, year: int) -> list[dict[str, str]]:
        """Return a season's races in round order."""
        races = [row for row in self.races if int(row["year"]) == year]
        return sorted(races, key=lambda row: int(row["round"]))

    def rows_of(self, table: list[dict[str, str]], race_id: str) -> list[dict[str, str]]:
        """Return a race's rows of one results table, by classification order."""
        rows = [row for row in table if row["raceId"] == race_id]
        key = "positionOrder" if rows and "positionOrder" in rows[0] else "position"
        return sorted(rows, key=lambda row: int(row[key]))


def points_of(tables: Tables, year: int) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Return championship points (Grands Prix and sprints) per driver and constructor ref."""
    ids = {row["raceId"] for row in tables.season_races(year)}
    drivers: dict[str, Decimal] = defaultdict(Decimal)
    constructors: dict[str, Decimal] = defaultdict(Decimal)
    for row in [*tables.results, *tables.sprints]:
        if row["raceId"] in ids:
            points = Decimal(row["points"])
            drivers[tables.drivers[row["driverId"]]["driverRef"]] += points
            constructors[tables.constructors[row["constructorId"]]["constructorRef"]] += points
    return drivers, constructors


def entries(tables: Tables, year: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the season's constructors and drivers, each driver with his last team."""
    last_team: dict[str, str] = {}
    constructors: dict[str, dict[str, str]] = {}
    for race in tables.season_races(year):
        for row in tables.rows_of(tables.results, race["raceId"]):
            team = tables.constructors[row["constructorId"]]
            last_team[row["driverId"]] = team["constructorRef"]
            constructors.setdefault(team["constructorRef"], team)
    driver_points, team_points = points_of(tables, year - 1)

    def score(driver_id: str) -> Decimal:
        ref = tables.drivers[driver_id]["driverRef"]
        team = last_team[driver_id]
        return (
            driver_points.get(ref, Decimal(0))
            + team_points.get(LINEAGE.get(team, team), Decimal(0)) / 2
        )

    ranked = sorted(last_team, key=lambda d: (-score(d), tables.drivers[d]["driverRef"]))
    drivers = []
    for rank, driver_id in enumerate(ranked):
        row = tables.drivers[driver_id]
        drivers.append(
            {
                "ref": row["driverRef"],
                "code": value(row["code"]) or "",
                "number": int(row["number"]) if value(row["number"]) else None,
                "first_name": row["forename"],
                "last_name": row["surname"],
                "nationality": row["nationality"],
                "constructor": last_team[driver_id],
                "price": float(TOP_PRICE - PRICE_STEP * rank),
            }
        )
    # Tables without the season before (2023 in ours) rank the teams by the season itself.
    prices = constructor_prices(constructors, team_points or points_of(tables, year)[1])
    teams = [
        {
            "ref": ref,
            "name": row["name"],
            "nationality": row["nationality"],
            "price": prices[ref],
        }
        for ref, row in constructors.items()
    ]
    return teams, drivers


def constructor_prices(
    constructors: dict[str, dict[str, str]], previous_points: dict[str, Decimal]
) -> dict[str, float]:
    """Return each constructor's price: ranked by last season's points (its lineage's)."""

    def points(ref: str) -> Decimal:
        # A team keeps its ref across seasons unless renamed: only then read its old name.
        then = ref if ref in previous_points else LINEAGE.get(ref, ref)
        return previous_points.get(then, Decimal(0))

    ranked = sorted(constructors, key=lambda ref: (-points(ref), ref))
    return {
        ref: float(CONSTRUCTOR_TOP_PRICE - CONSTRUCTOR_PRICE_STEP * rank)
        for rank, ref in enumerate(ranked)
    }


def constructor_rule(tables: Tables, year: int) -> str:
    """Return the pricing note's sentence on constructors, naming the points it ranks by."""
    previous = bool(points_of(tables, year - 1)[1])
    basis = (
        f"the {year - 1} constructors' points (Grands Prix and sprints) of the team or of the "
        f"one it raced as in {year - 1}"
        if previous
        else f"the {year} constructors' points (Grands Prix and sprints; the tables hold no "
        f"{year - 1} results)"
    )
    return (
        f"Constructors rank by {basis}, ties broken by ref; the top one costs 30.0 and each "
        "next one 2.4 less."
    )


def calendar_entry(tables: Tables, race: dict[str, str]) -> dict[str, Any]:
    """Return one race of the calendar in the season file's shape."""
    circuit = tables.circuits[race["circuitId"]]
    sprint_at = at(race["sprint_date"], race["sprint_time"])
    return {
        "round": int(race["round"]),
        "name": race["name"],
        "circuit": circuit["name"],
        "locality": circuit["location"],
        "country": circuit["country"],
        "starts_at": at(race["date"], race["time"]),
        "qualifying_at": at(race["quali_date"], race["quali_time"]),
        # Ergast's tables put sprint qualifying in the second practice slot.
        "sprint_qualifying_at": at(race["fp2_date"], race["fp2_time"]) if sprint_at else None,
        "sprint_at": sprint_at,
    }


def classification(tables: Tables, rows: list[dict[str, str]]) -> list[list[Any]]:
    """Return result rows as compact lists of ROW_COLUMNS plus the fastest-lap rank."""
    out = []
    for row in rows:
        rank = value(row.get("rank", NONE))
        out.append(
            [
                tables.drivers[row["driverId"]]["driverRef"],
                tables.constructors[row["constructorId"]]["constructorRef"],
                int(row["grid"]),
                row["positionText"],
                float(row["points"]),
                int(row["laps"]),
                tables.status[row["statusId"]],
                int(rank) if rank and rank != "0" else None,
            ]
        )
    return out


def sprint_classification(tables: Tables, rows: list[dict[str, str]]) -> list[list[Any]]:
    """Return sprint rows, each fastest-lap rank read from the fastest lap times."""
    timed = sorted(
        (r for r in rows if value(r["fastestLapTime"])),
        key=lambda r: (lap_seconds(r["fastestLapTime"]), int(r["positionOrder"])),
    )
    ranks = {r["resultId"]: str(rank) for rank, r in enumerate(timed, start=1)}
    return classification(tables, [{**r, "rank": ranks.get(r["resultId"], NONE)} for r in rows])


def lap_seconds(text: str) -> Decimal:
    """Return a lap time written `1:31.295` in seconds."""
    minutes, _, seconds = text.rpartition(":")
    return int(minutes or 0) * 60 + Decimal(seconds)


def road_order(rows: list[dict[str, str]], year: int) -> list[list[Any]] | None:
    """Rebuild the order on the road when a finisher was disqualified afterwards, else None."""
    # A disqualified driver who keeps a race time took the flag; his time says where.
    late = [r for r in rows if r["positionText"] == "D" and value(r["milliseconds"])]
    if not late:
        return None

    def road_key(row: dict[str, str]) -> tuple[int, int, int]:
        timed = value(row["milliseconds"])  # lapped cars have no time of their own
        return (0 if timed else 1, int(timed or 0), int(row["positionOrder"]))

    finishers = [r for r in rows if r["positionText"].isdigit() or r in late]
    others = [r for r in rows if r not in finishers]
    ordered = sorted(finishers, key=road_key) + others
    provisional = []
    for place, row in enumerate(ordered, start=1):
        copy = dict(row)
        if row in finishers:
            copy["positionText"] = str(place)
            copy["points"] = str(race_points(place, value(row["rank"]), year))
            if row in late:
                copy["statusId"] = "1"  # Finished, as the provisional classification said
        provisional.append(copy)
    return provisional  # type: ignore[return-value]


def race_points(place: int, rank: str | None, year: int) -> int:
    """Return a Grand Prix finisher's official points."""
    points = RACE_POINTS[place - 1] if place <= len(RACE_POINTS) else 0
    if rank == "1" and place <= 10 and year in FASTEST_LAP_POINT_YEARS:
        points += 1
    return points


def build(tables: Tables, year: int) -> dict[str, Any]:
    """Return the whole season file of one year."""
    races = tables.season_races(year)
    if not races:
        raise SystemExit(f"no races of {year} in the tables")
    constructors, drivers = entries(tables, year)
    rounds = []
    for race in races:
        rows = tables.rows_of(tables.results, race["raceId"])
        if not rows:
            raise SystemExit(f"{year} round {race['round']} has no results: not a complete season")
        entry: dict[str, Any] = {
            "round": int(race["round"]),
            "circuit_ref": tables.circuits[race["circuitId"]]["circuitRef"],
            "race": classification(tables, rows),
        }
        road = road_order(rows, year)
        if road is not None:
            entry["provisional"] = classification(tables, road)  # type: ignore[arg-type]
        sprint = tables.rows_of(tables.sprints, race["raceId"])
        if sprint:
            entry["sprint"] = sprint_classification(tables, sprint)
        qualifying = tables.rows_of(tables.qualifying, race["raceId"])
        entry["qualifying"] = [
            [
                tables.drivers[q["driverId"]]["driverRef"],
                tables.constructors[q["constructorId"]]["constructorRef"],
                value(q["q1"]),
                value(q["q2"]),
                value(q["q3"]),
            ]
            for q in qualifying
        ]
        rounds.append(entry)
    return {
        "season": year,
        "name": f"{year} Formula 1 World Championship",
        "pricing_note": (
            f"Prices rank the {len(drivers)} drivers who raced by a pre-season score: the "
            f"driver's {year - 1} championship points (Grands Prix and sprints) plus half the "
            f"{year - 1} constructors' points of his {year} team, ties broken by ref. The top "
            "driver costs 30.0 and each next one 1.2 less. "
            f"{constructor_rule(tables, year)} Each round's results are bundled for the "
            "replay feed, with the order on the road where a finisher was disqualified "
            "afterwards, the sprint's fastest-lap ranks read from its lap times, and each "
            "qualifying part's "
            "lap time (null where the driver set none)."
        ),
        "constructors": constructors,
        "drivers": drivers,
        "races": [calendar_entry(tables, race) for race in races],
        "result_columns": [*ROW_COLUMNS, "fastest_lap_rank"],
        "qualifying_columns": QUALIFYING_COLUMNS,
        "results": rounds,
    }


def write(data: dict[str, Any], path: Path) -> None:
    """Write the file with one result row per line: small, and readable in a diff."""
    text = json.dumps(data, indent=1, ensure_ascii=False)
    # Fold each innermost list (a result row) back onto one line.
    text = re.sub(
        r"\[\n\s+([^\[\]{}]*?)\n\s+\]",
        lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]",
        text,
    )
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the file named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of Ergast CSV tables")
    parser.add_argument("year", type=int)
    parser.add_argument("--out", type=Path, help="default: webapp/catalogue/season_YEAR.json")
    args = parser.parse_args(argv)
    out = (
        args.out
        or Path(__file__).resolve().parent.parent
        / "webapp"
        / "catalogue"
        / f"season_{args.year}.json"
    )
    write(build(Tables(args.folder), args.year), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

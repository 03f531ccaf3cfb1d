"""scripts/build_replay_season.py on a small folder of Ergast tables written here."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path
from typing import Any

from webapp.catalogue.loader import read_season_file
from webapp.settings import ROOT

SCRIPT = ROOT / "scripts" / "build_replay_season.py"
N = "\\N"


def script() -> Any:
    spec = importlib.util.spec_from_file_location("build_replay_season", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def race(race_id: int, year: int) -> dict[str, object]:
    sessions = {f"{s}_{p}": N for s in ("fp1", "fp2", "fp3") for p in ("date", "time")}
    return {
        "raceId": race_id,
        "year": year,
        "round": 1,
        "circuitId": 1,
        "name": "Test Grand Prix",
        "date": f"{year}-05-05",
        "time": "13:00:00",
        "url": "",
        **sessions,
        "quali_date": f"{year}-05-04",
        "quali_time": "14:00:00",
        "sprint_date": N,
        "sprint_time": N,
    }


def result(race_id: int, driver: int, team: int, order: int, text: str, **extra: object) -> dict:
    row = {
        "resultId": race_id * 10 + driver,
        "raceId": race_id,
        "driverId": driver,
        "constructorId": team,
        "number": driver,
        "grid": driver,
        "position": text if text.isdigit() else N,
        "positionText": text,
        "positionOrder": order,
        "points": 0,
        "laps": 50,
        "time": N,
        "milliseconds": N,
        "fastestLap": N,
        "rank": N,
        "fastestLapTime": N,
        "fastestLapSpeed": N,
        "statusId": 1,
    }
    row.update(extra)
    return row


def folder(tmp_path: Path) -> Path:
    """Two seasons: in the second, driver 1 wins on the road and is disqualified."""
    table(tmp_path, "races", [race(1, 2040), race(2, 2041)])
    table(
        tmp_path,
        "circuits",
        [
            {
                "circuitId": 1,
                "circuitRef": "test_ring",
                "name": "Test Ring",
                "location": "Testville",
                "country": "Testland",
            }
        ],
    )
    table(
        tmp_path,
        "status",
        [{"statusId": 1, "status": "Finished"}, {"statusId": 2, "status": "Disqualified"}],
    )
    table(
        tmp_path,
        "drivers",
        [
            {
                "driverId": i,
                "driverRef": ref,
                "number": i,
                "code": ref[:3].upper(),
                "forename": ref.title(),
                "surname": "Driver",
                "dob": N,
                "nationality": "",
                "url": "",
            }
            for i, ref in ((1, "alpha"), (2, "bravo"), (3, "charlie"))
        ],
    )
    table(
        tmp_path,
        "constructors",
        [
            {
                "constructorId": 1,
                "constructorRef": "old_name",
                "name": "Old",
                "nationality": "",
                "url": "",
            },
            {
                "constructorId": 2,
                "constructorRef": "blue",
                "name": "Blue",
                "nationality": "",
                "url": "",
            },
            {
                "constructorId": 3,
                "constructorRef": "sauber",
                "name": "Sauber",
                "nationality": "",
                "url": "",
            },
        ],
    )
    table(
        tmp_path,
        "results",
        [
            # 2040: charlie scores most, for the team that is renamed `sauber` in 2041.
            result(1, 3, 1, 1, "1", points=25),
            result(1, 1, 2, 2, "2", points=18),
            result(1, 2, 2, 3, "3", points=15),
            # 2041: alpha first on the road, disqualified; bravo inherits the win.
            result(2, 2, 2, 1, "1", points=25, milliseconds=5400000, rank=1),
            result(2, 3, 3, 2, "2", points=18, milliseconds=5403500),
            result(2, 1, 2, 3, "D", points=0, milliseconds=5398000, statusId=2),
        ],
    )
    table(
        tmp_path,
        "sprint_results",
        [
            result(9, 1, 1, 1, "1"),
            # 2041's sprint: ranked by nobody, timed: bravo's lap is the fastest.
            result(2, 1, 2, 1, "1", fastestLapTime="1:31.000"),
            result(2, 2, 2, 2, "2", fastestLapTime="1:30.500"),
            result(2, 3, 3, 3, "R"),
        ],
    )
    table(
        tmp_path,
        "qualifying",
        [
            {
                "qualifyId": i,
                "raceId": 2,
                "driverId": i,
                "constructorId": 2 if i < 3 else 3,
                "number": i,
                "position": i,
                "q1": q1,
                "q2": q2,
                "q3": N if i > 1 else "1:29.000",
            }
            for i, q1, q2 in ((1, "1:30.000", "1:29.500"), (2, "1:30.100", N), (3, N, N))
        ],
    )
    return tmp_path


def test_builds_a_season_file_with_prices_and_the_order_on_the_road(tmp_path: Path) -> None:
    module = script()
    module.LINEAGE["sauber"] = "old_name"
    out = tmp_path / "season.json"
    assert module.main([str(folder(tmp_path)), "2041", "--out", str(out)]) == 0

    data = json.loads(out.read_text(encoding="utf-8"))
    season = read_season_file(path=out)  # the loader takes it as it is
    assert [r.round for r in season.races] == [1]
    assert season.races[0].qualifying_at.isoformat() == "2041-05-04T14:00:00+00:00"
    # charlie: 25 + half of old_name's 25; alpha 18 + half of blue's 33; bravo 15 + 16.5
    prices = {d.ref: str(d.price) for d in season.drivers}
    assert prices == {"charlie": "30.0", "alpha": "28.8", "bravo": "27.6"}
    assert {d.ref: d.constructor for d in season.drivers}["charlie"] == "sauber"

    (round_one,) = data["results"]
    columns = data["result_columns"]
    final = [dict(zip(columns, row, strict=True)) for row in round_one["race"]]
    road = [dict(zip(columns, row, strict=True)) for row in round_one["provisional"]]
    assert [(r["driver"], r["position_text"]) for r in final] == [
        ("bravo", "1"),
        ("charlie", "2"),
        ("alpha", "D"),
    ]
    assert [(r["driver"], r["position_text"], r["points"], r["status"]) for r in road] == [
        ("alpha", "1", 25, "Finished"),
        ("bravo", "2", 18, "Finished"),  # no fastest-lap point after 2024
        ("charlie", "3", 15, "Finished"),
    ]
    assert data["qualifying_columns"] == ["driver", "constructor", "q1", "q2", "q3"]
    assert round_one["qualifying"] == [
        ["alpha", "blue", "1:30.000", "1:29.500", "1:29.000"],
        ["bravo", "blue", "1:30.100", None, None],
        ["charlie", "sauber", None, None, None],
    ]
    sprint = [dict(zip(columns, row, strict=True)) for row in round_one["sprint"]]
    assert [
        (r["driver"], r["grid"], r["position_text"], r["fastest_lap_rank"]) for r in sprint
    ] == [
        ("alpha", 1, "1", 2),
        ("bravo", 2, "2", 1),
        ("charlie", 3, "R", None),
    ]
    # Constructors by 2040's constructors' points: blue 33, sauber (as old_name) 25.
    assert {c.ref: str(c.price) for c in season.constructors} == {"blue": "30.0", "sauber": "27.6"}
    assert "2040 constructors' points" in data["pricing_note"]


def test_rebuilding_gives_the_same_file(tmp_path: Path) -> None:
    module = script()
    source = folder(tmp_path)
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    module.main([str(source), "2041", "--out", str(first)])
    module.main([str(source), "2041", "--out", str(second)])
    assert first.read_bytes() == second.read_bytes()

"""The bundled season loads completely, reloads without changes and rejects bad files."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from webapp.catalogue.loader import BUNDLED_SEASON, load_season
from webapp.catalogue.upsert import lock_time
from webapp.errors import AppError
from webapp.models import Constructor, Driver, Race, RaceStatus, Season
from webapp.settings import ROOT, Settings


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def bundled() -> dict[str, Any]:
    return json.loads(BUNDLED_SEASON.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "season.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def small_season() -> dict[str, Any]:
    return {
        "season": 2099,
        "name": "Test season",
        "constructors": [{"ref": "team_a", "name": "Team A", "nationality": "British"}],
        "drivers": [
            {
                "ref": "driver_a",
                "code": "DRA",
                "number": 7,
                "first_name": "Ada",
                "last_name": "Driver",
                "nationality": "British",
                "constructor": "team_a",
                "price": 12.5,
            }
        ],
        "races": [
            {
                "round": 1,
                "name": "Nowhere Grand Prix",
                "circuit": "Nowhere Ring",
                "locality": "Nowhere",
                "country": "Utopia",
                "starts_at": "2099-03-08T14:00:00Z",
                "qualifying_at": None,
                "sprint_qualifying_at": None,
                "sprint_at": None,
            }
        ],
    }


async def catalogue_counts() -> tuple[int, int, int, int]:
    return (
        await Season.all().count(),
        await Constructor.all().count(),
        await Driver.all().count(),
        await Race.all().count(),
    )


async def test_bundled_season_loads_every_team_driver_and_race(db: None) -> None:
    counts = await load_season()

    assert counts["seasons_created"] == 1
    assert counts["constructors_created"] == 10
    assert counts["drivers_created"] == 21
    assert counts["races_created"] == 24
    assert await catalogue_counts() == (1, 10, 21, 24)
    season = await Season.get(year=2025)
    assert season.name == "2025 Formula 1 World Championship"

    tsunoda = await Driver.get(season_id=2025, ref="tsunoda").prefetch_related("constructor")
    assert tsunoda.constructor is not None and tsunoda.constructor.ref == "red_bull"
    lawson = await Driver.get(season_id=2025, ref="lawson").prefetch_related("constructor")
    assert lawson.constructor is not None and lawson.constructor.ref == "rb"
    colapinto = await Driver.get(season_id=2025, ref="colapinto").prefetch_related("constructor")
    assert colapinto.number == 43 and colapinto.constructor is not None
    assert colapinto.constructor.ref == "alpine"

    prices = [driver.price for driver in await Driver.all()]
    assert all(Decimal("5.0") <= price <= Decimal("30.0") for price in prices)
    assert sum(sorted(prices)[:5]) < Decimal("100.0") < sum(sorted(prices)[-5:])


async def test_lock_time_is_sprint_qualifying_then_qualifying(db: None) -> None:
    await load_season()

    china = await Race.get(season_id=2025, round=2)
    assert china.sprint_qualifying_at == utc("2025-03-21T07:30:00")
    assert china.lock_at == china.sprint_qualifying_at
    australia = await Race.get(season_id=2025, round=1)
    assert australia.sprint_qualifying_at is None
    assert australia.lock_at == australia.qualifying_at == utc("2025-03-15T05:00:00")
    vegas = await Race.get(season_id=2025, round=22)
    assert vegas.starts_at == utc("2025-11-23T04:00:00")
    assert vegas.status == RaceStatus.SCHEDULED

    sprints = await Race.filter(season_id=2025, sprint_at__isnull=False).order_by("round")
    assert [race.round for race in sprints] == [2, 6, 13, 19, 21, 23]
    assert all(race.lock_at == race.sprint_qualifying_at for race in sprints)


async def test_race_without_qualifying_locks_a_day_before_the_start(
    db: None, tmp_path: Path
) -> None:
    await load_season(path=write(tmp_path, small_season()))

    race = await Race.get(season_id=2099, round=1)
    assert race.lock_at == utc("2099-03-07T14:00:00")


def test_lock_time_prefers_sprint_qualifying() -> None:
    start = utc("2025-05-04T20:00:00")
    quali = utc("2025-05-03T20:00:00")
    sprint_quali = utc("2025-05-02T20:30:00")

    assert lock_time(starts_at=start, qualifying_at=quali, sprint_qualifying_at=sprint_quali) == (
        sprint_quali
    )
    assert lock_time(starts_at=start, qualifying_at=quali, sprint_qualifying_at=None) == quali
    assert lock_time(starts_at=start, qualifying_at=None, sprint_qualifying_at=None) == (
        start - timedelta(hours=24)
    )


async def test_second_load_changes_nothing_and_keeps_admin_edits(db: None) -> None:
    await load_season()
    await Driver.filter(season_id=2025, ref="norris").update(price=Decimal("24.5"))
    await Race.filter(season_id=2025, round=1).update(
        status=RaceStatus.FINAL, results_version=2, lock_at=utc("2025-03-15T04:00:00")
    )

    counts = await load_season()

    assert all(value == 0 for value in counts.values()), counts
    assert await catalogue_counts() == (1, 10, 21, 24)
    norris = await Driver.get(season_id=2025, ref="norris")
    assert norris.price == Decimal("24.5")
    australia = await Race.get(season_id=2025, round=1)
    assert australia.status == RaceStatus.FINAL
    assert australia.results_version == 2
    assert australia.lock_at == utc("2025-03-15T04:00:00")


async def test_reload_applies_file_changes_but_not_prices(db: None, tmp_path: Path) -> None:
    await load_season()
    await Race.filter(season_id=2025, round=3).update(status=RaceStatus.LOCKED)
    data = bundled()
    norris = next(d for d in data["drivers"] if d["ref"] == "norris")
    norris["number"] = 1
    norris["price"] = 5.5
    data["races"][2]["qualifying_at"] = "2025-04-05T07:00:00Z"

    counts = await load_season(path=write(tmp_path, data))

    assert counts["drivers_updated"] == 1 and counts["races_updated"] == 1
    assert counts["drivers_created"] == counts["races_created"] == 0
    driver = await Driver.get(season_id=2025, ref="norris")
    assert driver.number == 1 and driver.price == Decimal("28.8")
    japan = await Race.get(season_id=2025, round=3)
    assert japan.lock_at == utc("2025-04-05T07:00:00")
    assert japan.status == RaceStatus.LOCKED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data["drivers"][0].update(price="abc"), "drivers[0].price"),
        (lambda data: data["drivers"][0].update(price=12.34), "drivers[0].price"),
        (lambda data: data["drivers"][1].update(constructor="brawn"), "drivers[1].constructor"),
        (
            lambda data: data["races"][4].update(starts_at="2025-04-20T17:00:00"),
            "races[4].starts_at",
        ),
        (lambda data: data["races"][1].pop("name"), "races[1].name"),
        (lambda data: data["drivers"].append(dict(data["drivers"][0])), "drivers[21].ref"),
    ],
)
async def test_malformed_file_names_the_field_and_writes_nothing(
    db: None, tmp_path: Path, change: Any, field: str
) -> None:
    data = bundled()
    change(data)

    with pytest.raises(AppError) as caught:
        await load_season(path=write(tmp_path, data))

    assert caught.value.code == "invalid_season_file"
    assert caught.value.field == field
    assert field in caught.value.message
    assert await catalogue_counts() == (0, 0, 0, 0)


async def test_unreadable_file_is_a_clear_error(db: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")

    with pytest.raises(AppError, match="not valid JSON"):
        await load_season(path=broken)
    with pytest.raises(AppError, match="cannot be read"):
        await load_season(path=tmp_path / "missing.json")


async def test_failure_midway_rolls_back_the_whole_load(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.catalogue import upsert

    real_lock_time = upsert.lock_time

    def failing_lock_time(**kwargs: Any) -> datetime:
        if kwargs["starts_at"] > utc("2025-06-01T00:00:00"):
            raise RuntimeError("boom")
        return real_lock_time(**kwargs)

    monkeypatch.setattr(upsert, "lock_time", failing_lock_time)

    with pytest.raises(RuntimeError):
        await load_season()

    assert await catalogue_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("year", [2023, 2024])
async def test_bundled_replay_seasons_load_with_every_round_classified(year: int) -> None:
    path = BUNDLED_SEASON.with_name(f"season_{year}.json")
    counts = await load_season(path=path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert counts["races_created"] == len(data["races"]) == len(data["results"])
    assert await Driver.filter(season_id=year).count() == len(data["drivers"])


def test_bundled_2024_keeps_the_belgian_order_on_the_road_and_the_final_one() -> None:
    data = json.loads(BUNDLED_SEASON.with_name("season_2024.json").read_text(encoding="utf-8"))
    spa = next(r for r in data["results"] if r["round"] == 14)
    assert [row[0] for row in spa["provisional"][:2]] == ["russell", "hamilton"]
    assert spa["race"][0][0] == "hamilton"
    assert [row[3] for row in spa["race"] if row[0] == "russell"] == ["D"]
    assert [r["round"] for r in data["results"] if "provisional" in r] == [14]


async def test_paddock_season_load_prints_plain_progress_off_a_terminal(
    db: None, migrated: Settings
) -> None:
    """`paddock season load` piped: one line per stage's start, tenths and end, then the counts."""
    env = {**os.environ, "DATABASE_URL": str(migrated.database_url)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from webapp.cli import main; main()", "season", "load",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    assert proc.returncode == 0, output.decode()
    lines = output.decode().splitlines()
    assert lines[:2] == ["constructors: 0/10", "constructors: 1/10"]
    assert "constructors: 10/10" in lines
    assert [line for line in lines if line.startswith("drivers: ")] == [
        "drivers: 0/21",
        *(f"drivers: {n}/21" for n in range(2, 21, 2)),
        "drivers: 21/21",
    ]
    assert lines.index("drivers: 21/21") < lines.index("races: 0/24") < lines.index("races: 24/24")
    assert lines[-1].startswith("Season loaded: seasons 1 new")
    assert "\x1b[" not in output.decode()  # no terminal codes in a pipe


async def test_constructor_prices_load_and_an_admins_price_survives_a_reload(
    db: None, tmp_path: Path
) -> None:
    await load_season()
    prices = {c.ref: c.price for c in await Constructor.filter(season_id=2025)}
    # 2024's constructors' points rank them: McLaren first, Sauber last.
    assert (prices["mclaren"], prices["ferrari"], prices["sauber"]) == (
        Decimal("30.0"),
        Decimal("27.6"),
        Decimal("8.4"),
    )
    await Constructor.filter(season_id=2025, ref="ferrari").update(price=Decimal("19.5"))
    # A row loaded before prices shipped has none: the next load gives it the file's.
    await Constructor.filter(season_id=2025, ref="haas").update(price=None)
    data = bundled()
    next(c for c in data["constructors"] if c["ref"] == "ferrari")["price"] = 5.0

    counts = await load_season(path=write(tmp_path, data))

    assert counts["constructors_updated"] == 1 and counts["constructors_created"] == 0
    after = {c.ref: c.price for c in await Constructor.filter(season_id=2025)}
    assert after["ferrari"] == Decimal("19.5")
    assert after["haas"] == Decimal("15.6")


async def test_a_bad_constructor_price_names_the_field(db: None, tmp_path: Path) -> None:
    data = bundled()
    data["constructors"][2]["price"] = -4

    with pytest.raises(AppError) as caught:
        await load_season(path=write(tmp_path, data))

    assert caught.value.field == "constructors[2].price"
    assert await Constructor.all().count() == 0

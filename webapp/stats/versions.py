"""A race's public results versions, what changed between two, and what that did to my teams.

Only the counting version's scores are stored (team_race_scores, race_driver_scores,
race_asset_scores), so a team's points under an older version are worked out again here, by
its game's rules, for the lineup that counts for the race now: a classic team's with
`score_driver` on that version's race_results, a team of a game scored per session (Grand
Prix) with the rescoring's own statement of asset lines, read for that version. For the
counting version that is exactly what rescoring stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import connections

from webapp import cache
from webapp.errors import AppError
from webapp.games import registry
from webapp.games.model import Game
from webapp.games.rescoring import chip_rules, per_session, scoring_rules
from webapp.models import (
    Constructor,
    Driver,
    LineupConstructor,
    LineupDriver,
    Race,
    RaceResult,
    RaceStatus,
    ResultVersion,
    SessionResult,
    Team,
    TeamRaceScore,
)
from webapp.scoring.systems import SYSTEMS, ScoringSystem, score_driver
from webapp.scoring.weekend import version_lines, version_scores

# What a reader compares between two versions, in the order the diff shows them.
COMPARED = ("position_text", "status", "fastest_lap_rank", "grid", "laps", "constructor")
# The same for the weekend's other sessions (a results version holds all three).
SESSION_COMPARED = {
    "qualifying": ("position", "reached", "disqualified", "constructor"),
    "sprint": ("position_text", "grid", "fastest_lap_rank", "constructor"),
}
SESSIONS = ("qualifying", "sprint", "race")
DIFFS = cache.Namespace("diff", ttl=3600)
# What a change between two versions did to one team (or null: not scored in the race).
TEAM_DIFFS = cache.Namespace("diff-team", ttl=3600)
FIELD_NAMES = {
    "position_text": "position",
    "status": "status",
    "fastest_lap_rank": "fastest lap rank",
    "grid": "grid",
    "laps": "laps",
    "constructor": "constructor",
    "entry": "entry",
    "position": "position",
    "reached": "part reached",
    "disqualified": "disqualified",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One moment of a race's results: a version published, or the results made final."""

    label: str  # "provisional", "revised" or "final"
    at: datetime
    version: int
    source: str = ""
    changed_drivers: int = 0


@dataclass(frozen=True, slots=True)
class Timeline:
    race: Race
    entries: list[TimelineEntry]

    @property
    def versions(self) -> list[int]:
        """Return the published version numbers, oldest first."""
        return sorted({e.version for e in self.entries if e.label != "final"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    old: Any
    new: Any
    session: str = "race"

    @property
    def label(self) -> str:
        """Return the field's name as a reader knows it, with its session unless the race."""
        name = FIELD_NAMES.get(self.name, self.name)
        return name if self.session == "race" else f"{self.session} {name}"


@dataclass(frozen=True, slots=True)
class DriverChange:
    """One driver whose result differs between the two versions."""

    driver: Driver
    changes: list[FieldChange]


@dataclass(frozen=True, slots=True)
class AssetChange:
    """One driver or constructor of a lineup: its points under each version."""

    kind: str  # "driver" or "constructor"
    id: int
    name: str
    before: int
    after: int
    touched: bool
    captain: bool = False


@dataclass(frozen=True, slots=True)
class AssetRef:
    """A driver or constructor as a team's change names it."""

    id: int
    ref: str
    name: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class TeamChange:
    """One of my teams in the race: its touched assets and its points under each version."""

    team_id: int
    team_name: str
    touched: list[AssetRef]
    before: int
    after: int
    game: str = "classic"
    touched_constructors: list[AssetRef] = field(default_factory=list)
    assets: list[AssetChange] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        """Return the change as JSON-ready data (what the cache keeps)."""
        return {
            "team_id": self.team_id,
            "team_name": self.team_name,
            "game": self.game,
            "before": self.before,
            "after": self.after,
            "touched": [[r.id, r.ref, r.name, r.code] for r in self.touched],
            "touched_constructors": [
                [r.id, r.ref, r.name, r.code] for r in self.touched_constructors
            ],
            "assets": [
                [a.kind, a.id, a.name, a.before, a.after, a.touched, a.captain] for a in self.assets
            ],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> TeamChange:
        """Return the change `dump` gave."""
        return cls(
            team_id=data["team_id"],
            team_name=data["team_name"],
            game=data["game"],
            before=data["before"],
            after=data["after"],
            touched=[AssetRef(*r) for r in data["touched"]],
            touched_constructors=[AssetRef(*r) for r in data["touched_constructors"]],
            assets=[
                AssetChange(
                    kind=kind, id=ident, name=name, before=before, after=after, touched=t, captain=c
                )
                for kind, ident, name, before, after, t, c in data["assets"]
            ],
        )


@dataclass(frozen=True, slots=True)
class VersionDiff:
    race: Race
    old: int
    new: int
    drivers: list[DriverChange]
    teams: list[TeamChange] = field(default_factory=list)


async def race_timeline(*, race_id: int) -> Timeline:
    """Return a race's versions as published (provisional, then revised) and when it went final."""
    race = await Race.get_or_none(id=race_id)
    if race is None:
        raise AppError.not_found("No such race")
    versions = await ResultVersion.filter(race_id=race_id).order_by("version")
    entries = [
        TimelineEntry(
            label="provisional" if index == 0 else "revised",
            at=v.created_at,
            version=v.version,
            source=str(v.source),
            changed_drivers=len(v.diff),
        )
        for index, v in enumerate(versions)
    ]
    if race.status == RaceStatus.FINAL and race.finalised_at is not None and versions:
        entries.append(TimelineEntry("final", race.finalised_at, race.results_version))
    entries.sort(key=lambda e: (e.at, e.label == "final"))
    return Timeline(race=race, entries=entries)


def pick_versions(
    timeline: Timeline, *, old: int | None, new: int | None
) -> tuple[int, int] | None:
    """Return the (old, new) pair to compare, the counting one and its predecessor by default."""
    versions = timeline.versions
    if len(versions) < 2:
        return None
    new = new if new is not None else timeline.race.results_version
    if new not in versions:
        raise _invalid(f"No version {new} of these results", field="to")
    if old is None:
        earlier = [v for v in versions if v < new]
        old = earlier[-1] if earlier else versions[0]
    if old not in versions:
        raise _invalid(f"No version {old} of these results", field="from")
    if old == new:
        raise _invalid("Pick two different versions", field="from")
    return old, new


Row = RaceResult | SessionResult


# One version's rows of every session, as a player's teams score them (no names needed).
LIGHT_ROWS_SQL = """
SELECT 'race' AS session, driver_id, constructor_id, position_text, fastest_lap_rank
FROM race_results WHERE race_id = $1 AND version = $2
UNION ALL
SELECT session, driver_id, constructor_id, position_text, fastest_lap_rank
FROM session_results WHERE race_id = $1 AND version = $2
"""


@dataclass(frozen=True, slots=True)
class LightRow:
    """What scoring a lineup reads of a driver's row in one session."""

    driver_id: int
    constructor_id: int
    position_text: str | None
    fastest_lap_rank: int | None


def _row_values(row: Row | None, compared: tuple[str, ...]) -> dict[str, Any] | None:
    if row is None:
        return None
    values = {name: getattr(row, name) for name in compared if name != "constructor"}
    # Loaded with the row: a reader knows a constructor by its name, not its id.
    values["constructor"] = row.constructor.name
    return values


def driver_changes(
    old_rows: dict[int, Row],
    new_rows: dict[int, Row],
    *,
    session: str = "race",
) -> dict[int, list[FieldChange]]:
    """Return, per driver id, the compared fields of one session that differ between versions."""
    compared = COMPARED if session == "race" else SESSION_COMPARED[session]
    changed: dict[int, list[FieldChange]] = {}
    for driver_id in old_rows.keys() | new_rows.keys():
        a = _row_values(old_rows.get(driver_id), compared)
        b = _row_values(new_rows.get(driver_id), compared)
        if a is None or b is None:
            presence = ("absent" if a is None else "present", "absent" if b is None else "present")
            changed[driver_id] = [FieldChange("entry", *presence, session=session)]
            continue
        fields = [
            FieldChange(name, a[name], b[name], session=session)
            for name in compared
            if a[name] != b[name]
        ]
        if fields:
            changed[driver_id] = fields
    return changed


def driver_points(
    system: ScoringSystem, rows: dict[int, Any], *, driver_id: int, captain: bool
) -> int:
    """Return one lineup driver's race points under a registered system against some rows."""
    row = rows.get(driver_id)
    return score_driver(
        system,
        driver_id=driver_id,
        position_text=row.position_text if row else None,
        fastest_lap_rank=row.fastest_lap_rank if row else None,
        captain=captain,
    ).points


@dataclass
class VersionRows:
    """One version's rows of each session, by driver id."""

    version: int
    # ORM rows for a diff, light ones for scoring a player's teams.
    sessions: dict[str, dict[int, Any]]

    @property
    def race(self) -> dict[int, Any]:
        """Return the race's rows."""
        return self.sessions["race"]

    def constructor_of(self, driver_id: int) -> int | None:
        """Return the constructor a driver's rows name in this version, if any."""
        for rows in self.sessions.values():
            if driver_id in rows:
                return int(rows[driver_id].constructor_id)
        return None


async def _light_rows(race_id: int, version: int) -> VersionRows:
    sessions: dict[str, dict[int, Any]] = {name: {} for name in SESSIONS}
    rows = await connections.get("default").execute_query_dict(LIGHT_ROWS_SQL, [race_id, version])
    for r in rows:
        sessions[r["session"]][r["driver_id"]] = LightRow(
            r["driver_id"], r["constructor_id"], r["position_text"], r["fastest_lap_rank"]
        )
    return VersionRows(version, sessions)


async def _rows(race_id: int, version: int) -> VersionRows:
    sessions: dict[str, dict[int, Any]] = {name: {} for name in SESSIONS}
    for r in await RaceResult.filter(race_id=race_id, version=version).select_related(
        "driver", "constructor"
    ):
        sessions["race"][r.driver_id] = r
    for s in await SessionResult.filter(race_id=race_id, version=version).select_related(
        "driver", "constructor"
    ):
        sessions[s.session][s.driver_id] = s
    return VersionRows(version, sessions)


async def _changes(*, race: Race, old: int, new: int) -> list[list[Any]]:
    """Return [driver id, [[session, field, old, new], ...]] per changed driver, in order."""

    async def build() -> list[list[Any]]:
        old_rows, new_rows = await _rows(race.id, old), await _rows(race.id, new)
        changed: dict[int, list[FieldChange]] = {}
        # In the weekend's order: qualifying, then the sprint, then the race.
        for session in SESSIONS:
            found = driver_changes(
                old_rows.sessions[session], new_rows.sessions[session], session=session
            )
            for driver_id, fields in found.items():
                changed.setdefault(driver_id, []).extend(fields)

        def order(driver_id: int) -> tuple[int, int]:
            row = new_rows.race.get(driver_id) or old_rows.race.get(driver_id)
            return (getattr(row, "position_order", 999) if row else 999, driver_id)

        return [
            [d, [[c.session, c.name, c.old, c.new] for c in changed[d]]]
            for d in sorted(changed, key=order)
        ]

    # A version's rows never change; a rescoring (a new version, a replay started over)
    # moves the board generation, so a number reused by a new replay is not read stale.
    value: list[list[Any]] = await cache.cached(
        key=DIFFS.key(race.id, old, new), build=build, gens=[cache.board_generation(race.season_id)]
    )
    return value


async def compare_versions(
    *,
    race_id: int,
    old: int | None = None,
    new: int | None = None,
    user_id: int | None = None,
    timeline: Timeline | None = None,
) -> VersionDiff | None:
    """Return what changed between two versions (None with fewer than two), and for my teams."""
    timeline = timeline or await race_timeline(race_id=race_id)
    pair = pick_versions(timeline, old=old, new=new)
    if pair is None:
        return None
    old, new = pair
    entries = await _changes(race=timeline.race, old=old, new=new)
    changed = {
        int(d): [FieldChange(name, a, b, session=session) for session, name, a, b in fields]
        for d, fields in entries
    }
    drivers = {
        d.id: d for d in await Driver.filter(id__in=list(changed)).select_related("constructor")
    }
    diff = VersionDiff(
        race=timeline.race,
        old=old,
        new=new,
        drivers=[DriverChange(drivers[int(d)], changed[int(d)]) for d, _ in entries],
    )
    if user_id is not None:
        by_session = {
            session: {
                d for d, fields in changed.items() if any(c.session == session for c in fields)
            }
            for session in SESSIONS
        }
        diff.teams.extend(
            await my_team_changes(
                race=timeline.race, old=old, new=new, user_id=user_id, changed=by_session
            )
        )
    return diff


async def my_team_changes(
    *, race: Race, old: int, new: int, user_id: int, changed: dict[str, set[int]]
) -> list[TeamChange]:
    """Return each of the user's teams scored in the race, worked out once per team and pair."""
    teams = Team.filter(owner_id=user_id, season_id=race.season_id)
    mine = [team.id for team in await teams.only("id").order_by("id")]
    if not mine:
        return []
    # A version's rows never change, nor does the lineup counting for a locked race: what a
    # pair did to a team is kept until a rescoring, a new team or a rename moves the board.
    keys = [TEAM_DIFFS.key(race.id, old, new, team_id) for team_id in mine]
    found = await cache.lookup([cache.board_generation(race.season_id)], keys)
    stamp = str(found.numbers[0])
    kept: dict[int, TeamChange | None] = {}
    for index, team_id in enumerate(mine):
        payload = found.fresh(index, stamp)
        if payload is not None:
            data = json.loads(payload)
            kept[team_id] = TeamChange.load(data) if data is not None else None
    missing = [team_id for team_id in mine if team_id not in kept]
    if missing:
        worked = await team_changes(
            race_id=race.id,
            team_ids=missing,
            old_rows=await _light_rows(race.id, old),
            new_rows=await _light_rows(race.id, new),
            changed=changed,
        )
        by_team: dict[int, TeamChange | None] = {team_id: None for team_id in missing}
        by_team.update({t.team_id: t for t in worked})
        kept.update(by_team)
        await cache.store(
            (
                TEAM_DIFFS.key(race.id, old, new, team_id),
                stamp,
                json.dumps(t.dump() if t else None, separators=(",", ":")).encode(),
            )
            for team_id, t in by_team.items()
        )
    return [t for team_id in mine if (t := kept[team_id]) is not None]


async def team_changes(
    *,
    race_id: int,
    team_ids: list[int],
    old_rows: VersionRows,
    new_rows: VersionRows,
    changed: dict[str, set[int]],
) -> list[TeamChange]:
    """Return each of these teams scored in the race with its points under both versions."""
    teams: list[TeamChange] = []
    for game in registry.all():
        scores = (
            await TeamRaceScore.filter(
                race_id=race_id, scoring_system=game.name, team_id__in=team_ids
            )
            .select_related("team", "lineup")
            .order_by("team_id")
        )
        if scores:
            teams += await _game_changes(
                game,
                scores=scores,
                old_rows=old_rows,
                new_rows=new_rows,
                changed=set().union(
                    *(ids for session, ids in changed.items() if scores_session(game, session))
                ),
            )
    teams.sort(key=lambda t: t.team_id)
    return teams


Lines = dict[tuple[str, int, bool], int]


def scores_session(game: Game, session: str) -> bool:
    """Tell whether a game scores a session, so a change there touches its teams."""
    return getattr(game.scoring, session) is not None


async def _lines(game: Game, rows: VersionRows, *, race_id: int) -> Lines:
    """Return every asset's points under one version by the game's rules, (kind, id, captain)."""
    if per_session(game):
        return await version_lines(
            race_id=race_id, system=game.name, rules=scoring_rules(game), version=rows.version
        )
    # A game scored by a registered system scores drivers by their race result alone.
    system = SYSTEMS[game.name]
    return {
        ("driver", driver_id, captain): driver_points(
            system, rows.race, driver_id=driver_id, captain=captain
        )
        for driver_id in rows.race
        for captain in (False, True)
    }


async def _totals(
    game: Game, rows: VersionRows, *, race_id: int, team_ids: list[int]
) -> dict[int, int]:
    """Return teams' points under one version where its lines alone do not tell them."""
    if not per_session(game):
        return {}  # a registered system's team scores its drivers' lines, nothing more
    # Chips, an auto-captain and transfer penalties count as rescoring counts them.
    return await version_scores(
        race_id=race_id,
        system=game.name,
        rules=scoring_rules(game),
        chips=chip_rules(game),
        version=rows.version,
        team_ids=team_ids,
    )


async def _game_changes(
    game: Game,
    *,
    scores: list[TeamRaceScore],
    old_rows: VersionRows,
    new_rows: VersionRows,
    changed: set[int],
) -> list[TeamChange]:
    """Work out one game's teams' points under both versions, asset by asset."""
    lineup_ids = [s.lineup_id for s in scores]
    picks: dict[int, list[int]] = {}
    for lineup_id, driver_id in await LineupDriver.filter(lineup_id__in=lineup_ids).values_list(
        "lineup_id", "driver_id"
    ):
        picks.setdefault(int(lineup_id), []).append(int(driver_id))
    cars: dict[int, list[int]] = {}
    for lineup_id, constructor_id in await LineupConstructor.filter(
        lineup_id__in=lineup_ids
    ).values_list("lineup_id", "constructor_id"):
        cars.setdefault(int(lineup_id), []).append(int(constructor_id))
    drivers = {
        d.id: d for d in await Driver.filter(id__in={d for ids in picks.values() for d in ids})
    }
    constructors = {
        c.id: c for c in await Constructor.filter(id__in={c for ids in cars.values() for c in ids})
    }
    race_id = scores[0].race_id
    old = await _lines(game, old_rows, race_id=race_id)
    new = await _lines(game, new_rows, race_id=race_id)
    totals = {
        rows.version: await _totals(
            game, rows, race_id=race_id, team_ids=[s.team_id for s in scores]
        )
        for rows in (old_rows, new_rows)
    }
    # A constructor is touched when a car of its changed, in either version.
    moved = {c for d in changed for c in (old_rows.constructor_of(d), new_rows.constructor_of(d))}
    teams = []
    for score in scores:
        captain = score.lineup.captain_id
        assets = [
            AssetChange(
                "driver",
                d,
                drivers[d].code or drivers[d].last_name,
                old.get(("driver", d, d == captain), 0),
                new.get(("driver", d, d == captain), 0),
                touched=d in changed,
                captain=d == captain,
            )
            for d in sorted(picks.get(score.lineup_id, []))
        ] + [
            AssetChange(
                "constructor",
                c,
                constructors[c].name,
                old.get(("constructor", c, False), 0),
                new.get(("constructor", c, False), 0),
                touched=c in moved,
            )
            for c in sorted(cars.get(score.lineup_id, []))
        ]
        teams.append(
            TeamChange(
                team_id=score.team_id,
                team_name=score.team.name,
                touched=[_ref(drivers[a.id]) for a in assets if a.kind == "driver" and a.touched],
                before=totals[old_rows.version].get(score.team_id, sum(a.before for a in assets)),
                after=totals[new_rows.version].get(score.team_id, sum(a.after for a in assets)),
                game=game.name,
                touched_constructors=[
                    _ref(constructors[a.id])
                    for a in assets
                    if a.kind == "constructor" and a.touched
                ],
                assets=assets,
            )
        )
    return teams


def _ref(asset: Driver | Constructor) -> AssetRef:
    if isinstance(asset, Driver):
        return AssetRef(asset.id, asset.ref, asset.code or asset.last_name, asset.code)
    return AssetRef(asset.id, asset.ref, asset.name)


def _invalid(message: str, *, field: str) -> AppError:
    return AppError("validation_error", message, details={"fields": {field: message}}, field=field)

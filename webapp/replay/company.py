"""Company on the board: generated players, their teams and leagues for a replayed season.

Everything is drawn from one seeded generator, so a seed always gives the same people
and lineups, and a second run finds them all in place and creates nothing.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
from asyncio import to_thread
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from webapp.auth.passwords import hash_password
from webapp.games.classic import CLASSIC
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.roster import ConstructorInfo, roster_errors
from webapp.leaderboards.refresh import add_team_to_boards, league_membership_changed
from webapp.leagues.service import MAX_TEAMS_MAX, new_invite_code
from webapp.models import Constructor, Driver
from webapp.replay import timeline
from webapp.replay.state import GENERATED_EMAIL_DOMAIN
from webapp.teams import rules
from webapp.teams.rules import DriverInfo
from webapp.teams.service import season_constructors, season_drivers

# Generated players all live under this domain: no mail is ever sent there, and it tells
# them apart from people who registered.
EMAIL_DOMAIN = GENERATED_EMAIL_DOMAIN
PRIVATE_LEAGUES = 4
DRAW_ATTEMPTS = 1000
# About this share of the players also field a Grand Prix team, drawn from a generator of
# its own so that adding them left every classic draw of a seed as it was.
GRAND_PRIX_SHARE = 0.4

FIRST_NAMES = (
    "Aaliyah", "Adam", "Aiko", "Alejandro", "Alessia", "Amara", "Amelia", "Anders", "Andrea",
    "Ania", "Arjun", "Astrid", "Ben", "Bianca", "Camille", "Carlos", "Chloe", "Chen", "Daniel",
    "Dario", "Elena", "Elif", "Emma", "Erik", "Fatima", "Felipe", "Finn", "Freya", "Gabriel",
    "Giulia", "Hana", "Hannah", "Hugo", "Ines", "Isla", "Ivan", "Jack", "Jakub", "James",
    "Javier", "Joao", "Jonas", "Julia", "Kai", "Karin", "Kenji", "Lars", "Laura", "Leon",
    "Lena", "Liam", "Lucas", "Lucia", "Maja", "Marco", "Maria", "Mateo", "Matilda", "Max",
    "Mei", "Mia", "Mohammed", "Nadia", "Niamh", "Nikolai", "Noah", "Nora", "Olivia", "Omar",
    "Oscar", "Paula", "Pedro", "Priya", "Rafael", "Rahul", "Rosa", "Ryo", "Sakura", "Samuel",
    "Santiago", "Sara", "Sebastian", "Sofia", "Sophie", "Tariq", "Theo", "Tomas", "Valentina",
    "Wei", "Yara", "Yusuf", "Zara", "Zoe", "Ayşe", "Björn", "Chloé", "Jürgen", "Zoë",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adeyemi", "Almeida", "Andersen", "Bakker", "Barnes", "Becker", "Bennett",
    "Bianchi", "Brennan", "Campbell", "Carvalho", "Castro", "Chowdhury", "Costa", "Dubois",
    "Dvořák", "Eriksson", "Evans", "Fernández", "Fischer", "Fontaine", "Garcia", "Greco",
    "Gupta", "Hakimi", "Hansen", "Hartley", "Hoffmann", "Hughes", "Ito", "Jansen", "Jensen",
    "Kaur", "Kelly", "Kim", "Kowalski", "Kumar", "Lambert", "Larsen", "Lee", "Lindqvist",
    "Lopez", "Marino", "Martin", "Meyer", "Moreau", "Morris", "Murphy", "Nakamura", "Nguyen",
    "Nielsen", "Novak", "O'Brien", "Okafor", "Olsen", "Park", "Patel", "Pereira", "Petrov",
    "Quinn", "Ramos", "Reid", "Ricci", "Rossi", "Russo", "Sato", "Schmidt", "Schneider",
    "Silva", "Singh", "Sousa", "Stewart", "Suzuki", "Svensson", "Tanaka", "Thompson", "Torres",
    "Van Dijk", "Vargas", "Wagner", "Walsh", "Weber", "Wilson", "Wójcik", "Yamamoto", "Yilmaz",
    "Zhang", "Zielinski", "Müller", "Núñez", "Østergaard",
)  # fmt: skip
TEAM_PATTERNS = (
    "{last} Racing", "Scuderia {last}", "{first}'s Flyers", "Team {last}", "{last} Motorsport",
    "{first} Full Send", "Box Box {first}", "{last} GP", "{first}'s Undercut", "Apex {last}",
    "{last} Grand Prix", "DRS {first}", "{first} on Softs", "Pit Wall {last}", "{last} Works",
    "Flat Out {first}", "{first}'s Slipstream", "Podium {last}", "{last} & Co",
    "Parc Fermé {first}",
)  # fmt: skip
PRIVATE_LEAGUE_NAMES = (
    "Office Pit Wall", "Sunday Lights Out Club", "The Hairpin Pub League", "Family Grid",
    "Uni Motorsport Society", "Five Lights Friends",
)  # fmt: skip


@dataclass(frozen=True)
class PlannedPlayer:
    """One generated player and their team, with the lineup as driver refs."""

    username: str
    email: str
    display_name: str
    team_name: str
    driver_refs: tuple[str, ...]
    captain_ref: str
    grand_prix: PlannedGrandPrixTeam | None = None


@dataclass(frozen=True)
class PlannedGrandPrixTeam:
    """A generated player's Grand Prix team: drivers and constructors as refs."""

    team_name: str
    driver_refs: tuple[str, ...]
    constructor_refs: tuple[str, ...]
    captain_ref: str


@dataclass(frozen=True)
class PlannedLeague:
    """One generated league: its name, game, whether it is public, and members by username."""

    name: str
    is_public: bool
    owner: str
    members: tuple[str, ...]
    game: str = CLASSIC.name


@dataclass(frozen=True)
class Plan:
    """Everything a seed draws for a season."""

    players: tuple[PlannedPlayer, ...]
    leagues: tuple[PlannedLeague, ...]


@dataclass(frozen=True)
class CompanyReport:
    """What a run created (zero everywhere on a second run)."""

    season: int
    players: int
    teams: int
    leagues: int
    memberships: int


def public_league_name(season: int) -> str:
    """Return the name of the season's open demo league."""
    return f"Replay {season} — open paddock"


def grand_prix_league_name(season: int) -> str:
    """Return the name of the season's open demo league of the Grand Prix game."""
    return f"Replay {season} — Grand Prix paddock"


def _ascii(text: str) -> str:
    """Return `text` folded to the letters and digits a username may hold."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum()).lower()


def _username(rng: random.Random, first: str, last: str) -> str:
    """Return a username the way people pick them, from a name."""
    f, surname = _ascii(first), _ascii(last)
    pattern = rng.randrange(6)
    if pattern == 0:
        name = f"{f}_{surname}"
    elif pattern == 1:
        name = f"{f[0]}{surname}{rng.randrange(1, 100)}"
    elif pattern == 2:
        name = f"{surname}_{f}"
    elif pattern == 3:
        name = f"{f}{rng.randrange(70, 100)}"
    elif pattern == 4:
        name = f"{f}_{surname[0]}_f1"
    else:
        name = f"{f}{surname}"
    return name[:26]


def _lineup(rng: random.Random, drivers: Sequence[DriverInfo]) -> tuple[list[int], int]:
    """Draw five drivers and a captain that the lineup rules accept."""
    by_id = {d.id: d for d in drivers}
    for _ in range(DRAW_ATTEMPTS):
        picked = [d.id for d in rng.sample(list(drivers), rules.LINEUP_SIZE)]
        captain = rng.choice(picked)
        if not rules.lineup_errors(driver_ids=picked, captain_id=captain, drivers=by_id):
            return picked, captain
    raise RuntimeError("no lineup within the rules could be drawn from this season's drivers")


def _grand_prix_lineup(
    rng: random.Random,
    drivers: Sequence[DriverInfo],
    constructors: Sequence[ConstructorInfo],
) -> tuple[list[int], list[int], int]:
    """Draw five drivers, two constructors and a captain that the Grand Prix rules accept."""
    by_id = {d.id: d for d in drivers}
    by_constructor = {c.id: c for c in constructors}
    roster = GRAND_PRIX.roster
    for _ in range(DRAW_ATTEMPTS):
        picked = [d.id for d in rng.sample(list(drivers), roster.drivers)]
        cars = [c.id for c in rng.sample(list(constructors), roster.constructors)]
        captain = rng.choice(picked)
        errors = roster_errors(
            game=GRAND_PRIX,
            driver_ids=picked,
            constructor_ids=cars,
            captain_id=captain,
            drivers=by_id,
            constructors=by_constructor,
        )
        if not errors:
            return picked, cars, captain
    raise RuntimeError("no Grand Prix lineup within the rules could be drawn from this season")


def _plan_grand_prix(
    rng: random.Random,
    player: PlannedPlayer,
    drivers: Sequence[tuple[str, DriverInfo]],
    constructors: Sequence[tuple[str, ConstructorInfo]],
) -> PlannedGrandPrixTeam:
    """Draw one player's Grand Prix team, named unlike their classic one."""
    first, last = player.display_name.split(" ", 1)
    name = rules.clean_name(rng.choice(TEAM_PATTERNS).format(first=first, last=last))
    if name == player.team_name:
        name = rules.clean_name(f"{name[: rules.NAME_MAX - 3]} GP")
    ref_of = {info.id: ref for ref, info in drivers}
    car_of = {info.id: ref for ref, info in constructors}
    picked, cars, captain = _grand_prix_lineup(
        rng, [info for _, info in drivers], [info for _, info in constructors]
    )
    return PlannedGrandPrixTeam(
        team_name=name[: rules.NAME_MAX],
        driver_refs=tuple(ref_of[i] for i in picked),
        constructor_refs=tuple(car_of[i] for i in cars),
        captain_ref=ref_of[captain],
    )


def plan_company(
    *,
    season: int,
    drivers: Sequence[tuple[str, DriverInfo]],
    players: int,
    seed: int,
    constructors: Sequence[tuple[str, ConstructorInfo]] = (),
) -> Plan:
    """Draw the players, lineups and leagues of a seed; `drivers` are (ref, rules view).

    With the season's priced `constructors`, some players field a Grand Prix team too.
    """
    # Reproducible on purpose: nothing secret is drawn from it (invite codes are not).
    rng = random.Random(f"{seed}:{season}")  # noqa: S311  # nosec B311
    ordered = sorted(drivers, key=lambda item: item[0])
    ref_of = {info.id: ref for ref, info in ordered}
    infos = [info for _, info in ordered]
    taken: set[str] = set()
    planned: list[PlannedPlayer] = []
    while len(planned) < players:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = base = _username(rng, first, last)
        n = 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
        taken.add(username)
        team_name = rules.clean_name(
            rng.choice(TEAM_PATTERNS).format(first=first, last=last)[: rules.NAME_MAX]
        )
        picked, captain = _lineup(rng, infos)
        planned.append(
            PlannedPlayer(
                username=username,
                email=f"{username}@{EMAIL_DOMAIN}",
                display_name=f"{first} {last}",
                team_name=team_name,
                driver_refs=tuple(ref_of[i] for i in picked),
                captain_ref=ref_of[captain],
            )
        )
    if len(constructors) >= GRAND_PRIX.roster.constructors:
        # Its own generator: the classic draws above are those of the seed without it.
        gp_rng = random.Random(f"{seed}:{season}:{GRAND_PRIX.name}")  # noqa: S311  # nosec B311
        ordered_cars = sorted(constructors, key=lambda item: item[0])
        planned = [
            replace(p, grand_prix=_plan_grand_prix(gp_rng, p, ordered, ordered_cars))
            if gp_rng.random() < GRAND_PRIX_SHARE
            else p
            for p in planned
        ]
    names = [p.username for p in planned]
    leagues = [
        PlannedLeague(
            name=public_league_name(season), is_public=True, owner=names[0], members=tuple(names)
        )
    ]
    for name in PRIVATE_LEAGUE_NAMES[: min(PRIVATE_LEAGUES, len(names) // 3)]:
        members = rng.sample(names, min(len(names), rng.randrange(6, 21)))
        leagues.append(
            PlannedLeague(name=name, is_public=False, owner=members[0], members=tuple(members))
        )
    grand_prix = [p.username for p in planned if p.grand_prix is not None]
    if grand_prix:
        leagues.append(
            PlannedLeague(
                name=grand_prix_league_name(season),
                is_public=True,
                owner=grand_prix[0],
                members=tuple(grand_prix),
                game=GRAND_PRIX.name,
            )
        )
    return Plan(players=tuple(planned), leagues=tuple(leagues))


async def _season_drivers(season: int) -> list[tuple[str, DriverInfo]]:
    """Return the season's drivers as (ref, rules view): refs draw the same in any database."""
    infos = await season_drivers(season=season)
    refs = dict(await Driver.filter(season_id=season).values_list("id", "ref"))
    return [(refs[driver_id], info) for driver_id, info in infos.items()]


async def _season_constructors(season: int) -> list[tuple[str, ConstructorInfo]]:
    """Return the season's priced constructors as (ref, rules view)."""
    infos = await season_constructors(season=season)
    refs = dict(await Constructor.filter(season_id=season).values_list("id", "ref"))
    return [(refs[constructor_id], info) for constructor_id, info in infos.items()]


USERS_SQL = """
INSERT INTO users (email, username, display_name, password_hash, is_admin, created_at, updated_at)
SELECT e, u, d, $4, false, now(), now()
FROM unnest($1::text[], $2::text[], $3::text[]) AS x(e, u, d)
WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower(x.u) OR email = x.e)
ON CONFLICT DO NOTHING
"""
TEAMS_SQL = """
INSERT INTO teams (owner_id, season_id, name, game, points, created_at, updated_at)
SELECT o, $3, n, $5, 0, $4, $4 FROM unnest($1::int[], $2::text[]) AS x(o, n)
ON CONFLICT (owner_id, season_id, name) DO NOTHING
RETURNING id, owner_id
"""
LINEUPS_SQL = """
INSERT INTO lineups (team_id, captain_id, saved_at)
SELECT t, c, $3 FROM unnest($1::int[], $2::int[]) AS x(t, c)
RETURNING id, team_id
"""
LINEUP_DRIVERS_SQL = """
INSERT INTO lineup_drivers (lineup_id, driver_id, is_captain, price)
SELECT * FROM unnest($1::int[], $2::int[], $3::bool[], $4::numeric[])
"""
LINEUP_CONSTRUCTORS_SQL = """
INSERT INTO lineup_constructors (lineup_id, constructor_id, price)
SELECT * FROM unnest($1::int[], $2::int[], $3::numeric[])
"""
LEAGUE_SQL = """
INSERT INTO leagues (season_id, name, is_public, invite_code, owner_id, max_teams,
                     scoring_system, game, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7, now())
RETURNING id
"""
MEMBERS_SQL = """
INSERT INTO league_members (league_id, team_id, joined_at)
SELECT $1, t, now() FROM unnest($2::int[]) AS t
ON CONFLICT (league_id, team_id) DO NOTHING
RETURNING id
"""


async def generate_company(
    *,
    season: int,
    players: int = 300,
    seed: int = 2024,
    saved_at: datetime | None = None,
) -> CompanyReport:
    """Create the seed's players, teams and leagues for a bundled season, once."""
    races = timeline.rounds(season)
    # Before the first lock in season time, so every generated lineup counts from round 1.
    saved_at = saved_at or races[0].lock_at - timedelta(days=7)
    drivers = await _season_drivers(season)
    info = {ref: d for ref, d in drivers}
    constructors = await _season_constructors(season)
    cars = {ref: c for ref, c in constructors}
    plan = plan_company(
        season=season, drivers=drivers, players=players, seed=seed, constructors=constructors
    )
    # Nobody can log in as a generated player: the password is random and never kept.
    password_hash = await to_thread(hash_password, secrets.token_urlsafe(32))
    new_teams: list[int] = []
    touched: list[int] = []
    created_leagues = memberships = 0
    async with in_transaction() as conn:
        # Two processes starting the replay at once create the company once.
        await conn.execute_query(
            "SELECT pg_advisory_xact_lock(hashtext($1))", [f"replay.company:{season}"]
        )
        before = await _generated_users(conn)
        await conn.execute_query(
            USERS_SQL,
            [
                [p.email for p in plan.players],
                [p.username for p in plan.players],
                [p.display_name for p in plan.players],
                password_hash,
            ],
        )
        after = await _generated_users(conn)
        rows = await conn.execute_query_dict(
            "SELECT id, username FROM users WHERE email = ANY($1::text[])",
            [[p.email for p in plan.players]],
        )
        user_ids = {r["username"]: int(r["id"]) for r in rows}
        mine = [p for p in plan.players if p.username in user_ids]
        # Each player's team of each game, as (owner id, name, drivers, cars, captain).
        entries: dict[str, list[_TeamEntry]] = {
            CLASSIC.name: [
                _TeamEntry(user_ids[p.username], p.team_name, p.driver_refs, (), p.captain_ref)
                for p in mine
            ],
            GRAND_PRIX.name: [
                _TeamEntry(
                    user_ids[p.username],
                    p.grand_prix.team_name,
                    p.grand_prix.driver_refs,
                    p.grand_prix.constructor_refs,
                    p.grand_prix.captain_ref,
                )
                for p in mine
                if p.grand_prix is not None
            ],
        }
        name_by_id = {v: k for k, v in user_ids.items()}
        team_by_user: dict[str, dict[str, int]] = {}
        for game, game_entries in entries.items():
            new_teams += await _create_teams(
                conn,
                game=game,
                entries=game_entries,
                season=season,
                saved_at=saved_at,
                drivers=info,
                constructors=cars,
            )
            teams = await conn.execute_query_dict(
                "SELECT id, owner_id FROM teams WHERE season_id = $1 AND owner_id = ANY($2::int[])"
                " AND name = ANY($3::text[]) AND game = $4 ORDER BY id",
                [season, [e.owner_id for e in game_entries], [e.name for e in game_entries], game],
            )
            by_user = team_by_user.setdefault(game, {})
            for row in teams:
                by_user.setdefault(name_by_id[int(row["owner_id"])], int(row["id"]))
        for league in plan.leagues:
            if league.owner not in user_ids:
                continue
            found = await conn.execute_query_dict(
                "SELECT id FROM leagues WHERE season_id = $1 AND name = $2 AND owner_id = $3",
                [season, league.name, user_ids[league.owner]],
            )
            if found:
                league_id = int(found[0]["id"])
            else:
                made = await conn.execute_query_dict(
                    LEAGUE_SQL,
                    [
                        season,
                        league.name,
                        league.is_public,
                        new_invite_code(),
                        user_ids[league.owner],
                        MAX_TEAMS_MAX if league.is_public else 50,
                        league.game,
                    ],
                )
                league_id = int(made[0]["id"])
                created_leagues += 1
            teams_of = team_by_user.get(league.game, {})
            members = [teams_of[u] for u in league.members if u in teams_of]
            joined = await conn.execute_query_dict(MEMBERS_SQL, [league_id, members])
            if joined:
                memberships += len(joined)
                touched.append(league_id)
    # Each new team goes on the season's boards the way a team made by hand does.
    for team_id in new_teams:
        await add_team_to_boards(team_id=team_id)
    for league_id in touched:
        await league_membership_changed(league_id=league_id)
    return CompanyReport(
        season=season,
        players=after - before,
        teams=len(new_teams),
        leagues=created_leagues,
        memberships=memberships,
    )


@dataclass(frozen=True)
class _TeamEntry:
    """One team to create: its owner, name and lineup by refs."""

    owner_id: int
    name: str
    driver_refs: tuple[str, ...]
    constructor_refs: tuple[str, ...]
    captain_ref: str


async def _create_teams(
    conn: BaseDBAsyncClient,
    *,
    game: str,
    entries: Sequence[_TeamEntry],
    season: int,
    saved_at: datetime,
    drivers: dict[str, DriverInfo],
    constructors: dict[str, ConstructorInfo],
) -> list[int]:
    """Create the teams of one game not there yet, with their lineups; return their ids."""
    if not entries:
        return []
    created = await conn.execute_query_dict(
        TEAMS_SQL,
        [[e.owner_id for e in entries], [e.name for e in entries], season, saved_at, game],
    )
    team_of_owner = {int(r["owner_id"]): int(r["id"]) for r in created}
    fresh = [e for e in entries if e.owner_id in team_of_owner]
    if not fresh:
        return []
    lineups = await conn.execute_query_dict(
        LINEUPS_SQL,
        [
            [team_of_owner[e.owner_id] for e in fresh],
            [drivers[e.captain_ref].id for e in fresh],
            saved_at,
        ],
    )
    lineup_of = {int(r["team_id"]): int(r["id"]) for r in lineups}
    picks = [
        (lineup_of[team_of_owner[e.owner_id]], drivers[ref], ref == e.captain_ref)
        for e in fresh
        for ref in e.driver_refs
    ]
    await conn.execute_query(
        LINEUP_DRIVERS_SQL,
        [
            [pick[0] for pick in picks],
            [pick[1].id for pick in picks],
            [pick[2] for pick in picks],
            [pick[1].price for pick in picks],
        ],
    )
    cars = [
        (lineup_of[team_of_owner[e.owner_id]], constructors[ref])
        for e in fresh
        for ref in e.constructor_refs
    ]
    if cars:
        await conn.execute_query(
            LINEUP_CONSTRUCTORS_SQL,
            [[c[0] for c in cars], [c[1].id for c in cars], [c[1].price for c in cars]],
        )
    return list(team_of_owner.values())


async def _generated_users(conn: BaseDBAsyncClient) -> int:
    """Return how many generated players exist."""
    rows = await conn.execute_query_dict(
        "SELECT count(*) AS n FROM users WHERE email LIKE $1", [f"%@{EMAIL_DOMAIN}"]
    )
    return int(rows[0]["n"])

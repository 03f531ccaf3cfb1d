"""The Grand Prix game in "why did my score change" and in ownership, on the real 2024 Shanghai.

The weekend (qualifying, sprint, race) comes from tests/fixtures/games; a correction changes
the sprint's first two places and takes Sainz out of Q3, leaving the race alone. Points
before and after are held to the reference scorer (webapp/games/reference.py) and to what
rescoring stored.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from tests.scoring.test_weekend import Fixture, Season2024, load, store_version
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.reference import Lineup, score_team
from webapp.models import (
    Constructor,
    Driver,
    League,
    LeagueMember,
    LineupConstructor,
    LineupDriver,
    Race,
    RaceStatus,
    ResultSource,
    ResultVersion,
    Season,
    Team,
    TeamChip,
    TeamRaceScore,
    User,
)
from webapp.models import Lineup as LineupRow
from webapp.pipeline import rescore_race
from webapp.stats.series import ownership
from webapp.stats.versions import compare_versions

LOCK = datetime(2024, 4, 20, 6, 0, tzinfo=UTC)
EARLY = LOCK - timedelta(days=2)
MINE = Lineup(
    drivers=("hamilton", "norris", "russell", "zhou", "sargeant"),
    captain="hamilton",
    constructors=("mercedes", "ferrari"),
)
THEIRS = Lineup(
    drivers=("max_verstappen", "perez", "leclerc", "albon", "tsunoda"),
    captain="max_verstappen",
    constructors=("red_bull", "mercedes"),
)


@dataclass
class Shanghai:
    state: Season2024
    first: Fixture
    corrected: Fixture
    alice: User
    mine: Team
    theirs: Team
    classic: Team
    league: League

    def driver(self, ref: str) -> Driver:
        """Return a driver of the season by ref."""
        return self.state.drivers[ref]

    def constructor(self, ref: str) -> Constructor:
        """Return a constructor of the season by ref."""
        return self.state.constructors[ref]


def correct(fixture: Fixture) -> Fixture:
    """Return the weekend with the sprint's winner and runner-up swapped and Sainz out in Q2."""
    fixed = copy.deepcopy(fixture)
    for row in fixed.sprint or []:
        if row[0] in ("max_verstappen", "hamilton"):
            row[3] = {"1": "2", "2": "1"}[row[3]]
    for row in fixed.qualifying:
        if row[0] == "sainz":
            row[3] = 2
    return fixed


async def save(state: Season2024, team: Team, lineup: Lineup) -> None:
    row = await LineupRow.create(team=team, saved_at=EARLY, captain=state.drivers[lineup.captain])
    await LineupDriver.bulk_create(
        [
            LineupDriver(
                lineup=row,
                driver=state.drivers[d],
                is_captain=d == lineup.captain,
                price=Decimal("10.0"),
            )
            for d in lineup.drivers
        ]
    )
    await LineupConstructor.bulk_create(
        [
            LineupConstructor(lineup=row, constructor=state.constructors[c], price=Decimal("15.0"))
            for c in lineup.constructors
        ]
    )


async def publish(state: Season2024, fixture: Fixture, version: int) -> None:
    """Store a version of the weekend as the pipeline would, then rescore every game."""
    await ResultVersion.create(
        race=fixture.race, version=version, content_hash=f"v{version}", source=ResultSource.FEED
    )
    await store_version(state, fixture, version)
    await rescore_race(race_id=fixture.race.id)


@pytest.fixture
async def shanghai(db: None, redis: Redis, make_user: Callable[..., Awaitable[User]]) -> Shanghai:
    """Alice's Grand Prix team and classic team, Bob's Grand Prix team, both in one league."""
    season = await Season.create(year=2024, name="2024 World Championship")
    data = load("shanghai")
    constructors: dict[str, Constructor] = {}
    drivers: dict[str, Driver] = {}
    for d, c, *_ in data["qualifying"]:
        if c not in constructors:
            constructors[c] = await Constructor.create(
                season=season, ref=c, name=c.replace("_", " ").title(), price=Decimal("15.0")
            )
        drivers[d] = await Driver.create(
            season=season,
            ref=d,
            code=d[:3].upper(),
            first_name=d,
            last_name=d,
            price=Decimal("10.0"),
            constructor=constructors[c],
        )
    race = await Race.create(
        season=season,
        round=1,
        name="Chinese Grand Prix",
        circuit="shanghai",
        country="China",
        starts_at=LOCK + timedelta(days=1),
        lock_at=LOCK,
        status=RaceStatus.LOCKED,
    )
    first = Fixture(
        name="shanghai",
        race=race,
        qualifying=data["qualifying"],
        sprint=data["sprint"],
        results=data["race"],
    )
    state = Season2024(fixtures=[first], drivers=drivers, constructors=constructors)
    alice, bob = await make_user("alice"), await make_user("bob")
    mine = await Team.create(owner=alice, season=season, name="Pit Wall", game="grand_prix")
    theirs = await Team.create(owner=bob, season=season, name="Undercut", game="grand_prix")
    classic = await Team.create(owner=alice, season=season, name="Old School", game="classic")
    await save(state, mine, MINE)
    await save(state, theirs, THEIRS)
    await save(state, classic, Lineup(MINE.drivers, MINE.captain, ()))
    league = await League.create(
        name="Paddock Club",
        season=season,
        owner=alice,
        game="grand_prix",
        is_public=False,
        invite_code="PADDOCK1",
    )
    for team in (mine, theirs):
        await LeagueMember.create(league=league, team=team)
    await publish(state, first, 1)
    corrected = correct(first)
    corrected.race = await Race.get(id=race.id)
    await publish(state, corrected, 2)
    return Shanghai(state, first, corrected, alice, mine, theirs, classic, league)


async def test_the_diff_names_qualifying_and_sprint_changes(shanghai: Shanghai) -> None:
    diff = await compare_versions(race_id=shanghai.first.race.id)
    assert diff is not None and (diff.old, diff.new) == (1, 2)
    changes = {
        item.driver.ref: [(c.session, c.name, c.old, c.new, c.label) for c in item.changes]
        for item in diff.drivers
    }
    assert changes == {
        "max_verstappen": [("sprint", "position_text", "1", "2", "sprint position")],
        "hamilton": [("sprint", "position_text", "2", "1", "sprint position")],
        "sainz": [("qualifying", "reached", 3, 2, "qualifying part reached")],
    }


async def test_my_grand_prix_team_before_and_after_by_its_rules(shanghai: Shanghai) -> None:
    diff = await compare_versions(race_id=shanghai.first.race.id, user_id=shanghai.alice.id)
    assert diff is not None
    teams = {t.team_name: t for t in diff.teams}
    assert set(teams) == {"Pit Wall", "Old School"}  # Bob's team is not Alice's business
    mine = teams["Pit Wall"]
    before = score_team(GRAND_PRIX, shanghai.first.weekend(), MINE)
    after = score_team(GRAND_PRIX, shanghai.corrected.weekend(), MINE)
    assert before.points != after.points  # the correction matters to this lineup
    assert (mine.game, mine.before, mine.after) == ("grand_prix", before.points, after.points)
    stored = await TeamRaceScore.get(team_id=shanghai.mine.id, scoring_system="grand_prix")
    assert stored.points == mine.after
    # Hamilton (captain) won the sprint; Mercedes and Ferrari had a car in the change.
    assert [d.ref for d in mine.touched] == ["hamilton"]
    assert sorted(c.ref for c in mine.touched_constructors) == ["ferrari", "mercedes"]
    assets = {(a.kind, a.name): (a.before, a.after, a.touched) for a in mine.assets}
    for ref in ("mercedes", "ferrari"):
        name = shanghai.constructor(ref).name
        want = (before.asset(ref).points, after.asset(ref).points, True)
        assert assets[("constructor", name)] == want
    ham = next(a for a in mine.assets if a.name == "HAM")
    assert ham.captain and (ham.before, ham.after) == (
        before.asset("hamilton").points,
        after.asset("hamilton").points,
    )
    # Ferrari lost both cars in Q3 (10) for one (5): the constructor line shows it.
    ferrari = assets[("constructor", shanghai.constructor("ferrari").name)]
    assert ferrari[0] - ferrari[1] == 5


async def test_a_sprint_or_qualifying_change_leaves_a_classic_team_alone(
    shanghai: Shanghai,
) -> None:
    diff = await compare_versions(race_id=shanghai.first.race.id, user_id=shanghai.alice.id)
    assert diff is not None
    old_school = next(t for t in diff.teams if t.team_name == "Old School")
    # The classic game scores the race only, which the correction did not change.
    assert old_school.game == "classic"
    assert old_school.before == old_school.after
    assert old_school.touched == [] and old_school.touched_constructors == []


async def test_the_api_and_the_page_show_the_grand_prix_change(
    shanghai: Shanghai,
    client: TestClientProtocol,
    auth_headers: Callable[[User], dict[str, str]],
) -> None:
    race_id = shanghai.first.race.id
    response = await client.get(
        f"/api/v1/races/{race_id}/versions/diff", headers=auth_headers(shanghai.alice)
    )
    assert response.status_code == 200
    body = await response.get_json()
    sainz = next(i for i in body["items"] if i["driver"]["ref"] == "sainz")
    assert sainz["changes"] == [{"session": "qualifying", "field": "reached", "old": 3, "new": 2}]
    mine = next(t for t in body["teams"] if t["name"] == "Pit Wall")
    ferrari = shanghai.constructor("ferrari").id
    assert mine["game"] == "grand_prix"
    assert sorted(mine["touched_constructor_ids"]) == sorted(
        [ferrari, shanghai.constructor("mercedes").id]
    )
    line = next(a for a in mine["assets"] if a["kind"] == "constructor" and a["id"] == ferrari)
    assert line["old_points"] - line["new_points"] == 5
    assert mine["old_points"] == sum(a["old_points"] for a in mine["assets"])


async def test_ownership_is_counted_per_game(shanghai: Shanghai) -> None:
    mercedes = shanghai.constructor("mercedes").id
    season = 2024
    # Both Grand Prix teams picked Mercedes; in the classic game only Alice's drivers count.
    grand_prix = await ownership(
        season=season,
        constructor_id=mercedes,
        game="grand_prix",
        league_ids=[shanghai.league.id],
    )
    assert (grand_prix["holding"], grand_prix["teams"], grand_prix["share"]) == (2, 2, 100.0)
    assert [(lg["holding"], lg["teams"]) for lg in grand_prix["leagues"]] == [(2, 2)]
    # Red Bull's drivers are Bob's, but a Grand Prix team holds a constructor by picking it.
    red_bull = shanghai.constructor("red_bull").id
    held = await ownership(season=season, constructor_id=red_bull, game="grand_prix")
    assert (held["holding"], held["teams"]) == (1, 2)
    ferrari = shanghai.constructor("ferrari").id
    # Bob fields Leclerc but not Ferrari; Alice picked Ferrari without a Ferrari driver.
    by_pick = await ownership(season=season, constructor_id=ferrari, game="grand_prix")
    assert (by_pick["holding"], by_pick["teams"]) == (1, 2)
    # In the classic game a constructor is held through its drivers: Alice's Hamilton.
    classic = await ownership(season=season, constructor_id=mercedes, game="classic")
    assert (classic["holding"], classic["teams"]) == (1, 1)
    hamilton = await ownership(
        season=season, driver_id=shanghai.driver("hamilton").id, game="grand_prix"
    )
    assert (hamilton["holding"], hamilton["share"]) == (1, 50.0)


async def test_pages_show_the_grand_prix_change_and_ownership(
    shanghai: Shanghai, client: TestClientProtocol, login: Callable[..., Awaitable[None]]
) -> None:
    await login(client, shanghai.alice)
    race_id = shanghai.first.race.id
    response = await client.get(f"/races/{race_id}/versions")
    assert response.status_code == 200
    html = await response.get_data(as_text=True)
    assert "sprint position: <del>2</del> → <ins>1</ins>" in html
    assert "qualifying part reached: <del>3</del> → <ins>2</ins>" in html
    before = score_team(GRAND_PRIX, shanghai.first.weekend(), MINE)
    after = score_team(GRAND_PRIX, shanghai.corrected.weekend(), MINE)
    ferrari = (before.asset("ferrari").points, after.asset("ferrari").points)
    assert f"Ferrari (constructor) {ferrari[0]} → {ferrari[1]}" in html
    assert f"{before.points} → {after.points} pts" in html
    mercedes = shanghai.constructor("mercedes").id
    page = await client.get(f"/constructors/{mercedes}")
    html = await page.get_data(as_text=True)
    # Both games count: two Grand Prix teams picked Mercedes, one classic team has Hamilton.
    assert 'id="ownership-grand_prix"' in html and 'id="ownership-classic"' in html
    assert "2 of 2 Grand Prix teams picked this constructor" in html
    assert "1 of 1 Classic teams field at least one of its drivers" in html
    assert '<a href="/leagues/' in html  # Alice's Grand Prix league


async def test_chips_and_penalties_count_in_the_team_before_and_after(shanghai: Shanghai) -> None:
    race = shanghai.first.race
    await TeamChip.create(team=shanghai.mine, race=race, chip="extra_boost", played_at=EARLY)
    await LineupRow.filter(team=shanghai.mine).update(penalty_points=-10, race_id=race.id)
    # What rescoring itself stores under each version, the chip and the penalty counted.
    stored = {}
    for version in (1, 2):
        await Race.filter(id=race.id).update(results_version=version)
        await rescore_race(race_id=race.id)
        score = await TeamRaceScore.get(team_id=shanghai.mine.id, scoring_system="grand_prix")
        stored[version] = score.points
    diff = await compare_versions(race_id=race.id, old=1, new=2, user_id=shanghai.alice.id)
    assert diff is not None
    mine = next(t for t in diff.teams if t.team_name == "Pit Wall")
    assert (mine.before, mine.after) == (stored[1], stored[2])
    # Extra Boost triples Hamilton (captain) and the transfers cost 10.
    after = score_team(GRAND_PRIX, shanghai.corrected.weekend(), MINE)
    assert mine.after == after.points + after.asset("hamilton").captain - 10

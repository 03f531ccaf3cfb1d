"""Company on the board: generated players, teams and leagues of a replayed season."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from webapp.auth.users import check_username, normalise_email
from webapp.catalogue.loader import load_season
from webapp.games.grand_prix import GRAND_PRIX
from webapp.games.roster import roster_errors
from webapp.leaderboards.queries import overall_leaderboard
from webapp.models import League, LeagueMember, Lineup, Team, User
from webapp.replay import company, timeline
from webapp.teams import rules
from webapp.teams.service import season_constructors, season_drivers

SEASON = 2024


@pytest.fixture
async def replay_season(db: None) -> int:
    """Load the bundled 2024 season and return its year."""
    await load_season(path=timeline.CATALOGUE / f"season_{SEASON}.json")
    return SEASON


async def test_generated_players_are_valid_accounts_with_lineups_within_the_rules(
    replay_season: int, redis: Redis
) -> None:
    """Every player could have registered, and every lineup passes the team rules."""
    report = await company.generate_company(season=replay_season, players=120, seed=7)
    grand_prix = await Team.filter(season_id=replay_season, game=GRAND_PRIX.name).count()
    assert (report.players, report.teams) == (120, 120 + grand_prix)
    users = await User.filter(email__endswith=f"@{company.EMAIL_DOMAIN}")
    assert len(users) == 120
    for user in users:
        check_username(user.username)
        assert normalise_email(user.email) == user.email
        assert not user.username.lower().startswith("user")
    # Realistic and varied: many different first and last names, none a number.
    firsts = Counter(u.display_name.split()[0] for u in users)
    assert len(firsts) > 40 and max(firsts.values()) < 10
    drivers = await season_drivers(season=replay_season)
    teams = await Team.filter(season_id=replay_season, game="classic").prefetch_related(
        "lineups__drivers"
    )
    assert len(teams) == 120
    for team in teams:
        assert rules.clean_name(team.name) == team.name
        (lineup,) = team.lineups
        picked = [e.driver_id for e in lineup.drivers]
        assert (
            rules.lineup_errors(driver_ids=picked, captain_id=lineup.captain_id, drivers=drivers)
            == []
        ), team.name
        captains = [e.driver_id for e in lineup.drivers if e.is_captain]
        assert captains == [lineup.captain_id]
        # Saved before the first lock, so the lineup counts from round 1.
        assert lineup.saved_at < timeline.rounds(replay_season)[0].lock_at


async def test_leagues_and_boards_show_the_company(replay_season: int, redis: Redis) -> None:
    """One public league holds every generated team, a few private ones some; the board too."""
    # The board is read (and built, empty) before: new teams are added to a live board.
    empty = await overall_leaderboard(season=replay_season, limit=100)
    assert empty.total == 0
    await company.generate_company(season=replay_season, players=60, seed=3)
    public = await League.get(name=company.public_league_name(replay_season))
    assert public.is_public and public.season_id == replay_season
    assert await LeagueMember.filter(league_id=public.id).count() == 60
    private = await League.filter(season_id=replay_season, is_public=False)
    assert 1 <= len(private) <= company.PRIVATE_LEAGUES
    for league in private:
        assert 2 <= await LeagueMember.filter(league_id=league.id).count() <= 20
    board = await overall_leaderboard(season=replay_season, limit=100)
    assert board.total == 60
    names = {row.team_name for row in board.items}
    classic = Team.filter(season_id=replay_season, game="classic")
    assert names == set(await classic.values_list("name", flat=True))


async def test_running_twice_creates_nothing_new(replay_season: int, redis: Redis) -> None:
    """A second run with the same seed finds everyone in place."""
    first = await company.generate_company(season=replay_season, players=50, seed=11)
    counts = [
        await User.all().count(),
        await Team.all().count(),
        await Lineup.all().count(),
        await League.all().count(),
        await LeagueMember.all().count(),
    ]
    again = await company.generate_company(season=replay_season, players=50, seed=11)
    grand_prix = await Team.filter(game=GRAND_PRIX.name).count()
    assert (first.players, first.teams) == (50, 50 + grand_prix)
    assert (again.players, again.teams, again.leagues, again.memberships) == (0, 0, 0, 0)
    assert counts == [
        await User.all().count(),
        await Team.all().count(),
        await Lineup.all().count(),
        await League.all().count(),
        await LeagueMember.all().count(),
    ]


async def test_a_registered_username_is_left_alone(
    replay_season: int, redis: Redis, make_user
) -> None:
    """A generated name someone already registered is skipped, not taken over."""
    drivers = await company._season_drivers(replay_season)
    plan = company.plan_company(season=replay_season, drivers=drivers, players=10, seed=5)
    taken = plan.players[3].username
    person = await make_user(username=taken.upper())
    report = await company.generate_company(season=replay_season, players=10, seed=5)
    assert report.players == 9
    assert await Team.filter(owner_id=person.id).count() == 0


async def test_same_seed_same_people_and_lineups(replay_season: int) -> None:
    """The draw depends on the seed only: same seed, same plan; another seed, another."""
    drivers = await company._season_drivers(replay_season)
    one = company.plan_company(season=replay_season, drivers=drivers, players=300, seed=2024)
    two = company.plan_company(
        season=replay_season, drivers=list(reversed(drivers)), players=300, seed=2024
    )
    other = company.plan_company(season=replay_season, drivers=drivers, players=300, seed=99)
    assert one == two
    assert [p.username for p in one.players] != [p.username for p in other.players]
    assert len({p.username.lower() for p in one.players}) == 300
    lineups = {p.driver_refs for p in one.players}
    assert len(lineups) > 250


async def test_same_seed_gives_the_same_rows(replay_season: int, redis: Redis) -> None:
    """What lands in the database is the seed's plan: names and lineups by driver ref."""
    await company.generate_company(season=replay_season, players=20, seed=42)
    drivers = await company._season_drivers(replay_season)
    plan = company.plan_company(season=replay_season, drivers=drivers, players=20, seed=42)
    for planned in plan.players:
        user = await User.get(username=planned.username)
        assert user.display_name == planned.display_name
        team = await Team.get(owner_id=user.id, season_id=replay_season, game="classic")
        assert team.name == planned.team_name
        lineup = await Lineup.get(team_id=team.id).prefetch_related("drivers__driver", "captain")
        assert sorted(e.driver.ref for e in lineup.drivers) == sorted(planned.driver_refs)
        assert lineup.captain.ref == planned.captain_ref


async def test_some_players_field_a_grand_prix_team_within_its_rules(
    replay_season: int, redis: Redis
) -> None:
    """About two in five players also play the Grand Prix game, in an open league of its own."""
    await company.generate_company(season=replay_season, players=100, seed=7)
    teams = await Team.filter(season_id=replay_season, game=GRAND_PRIX.name).prefetch_related(
        "lineups__drivers", "lineups__constructors"
    )
    assert 25 <= len(teams) <= 55
    drivers = await season_drivers(season=replay_season)
    constructors = await season_constructors(season=replay_season)
    for team in teams:
        (lineup,) = team.lineups
        picked = [e.driver_id for e in lineup.drivers]
        cars = [e.constructor_id for e in lineup.constructors]
        assert len(cars) == 2
        errors = roster_errors(
            game=GRAND_PRIX,
            driver_ids=picked,
            constructor_ids=cars,
            captain_id=lineup.captain_id,
            drivers=drivers,
            constructors=constructors,
        )
        assert errors == [], team.name
        assert [e.price for e in lineup.constructors] == [
            constructors[c].price for c in cars
        ]  # bought at the season's prices
    owners = {t.owner_id for t in teams}
    classic = await Team.filter(season_id=replay_season, game="classic", owner_id__in=owners)
    assert len(classic) == len(teams)  # each also has a classic team, named otherwise
    classic_name = {t.owner_id: t.name for t in classic}
    assert all(t.name != classic_name[t.owner_id] for t in teams)
    league = await League.get(name=company.grand_prix_league_name(replay_season))
    assert (league.game, league.is_public) == (GRAND_PRIX.name, True)
    members = set(await LeagueMember.filter(league_id=league.id).values_list("team_id", flat=True))
    assert members == {t.id for t in teams}
    public = await League.get(name=company.public_league_name(replay_season))
    in_public = await LeagueMember.filter(league_id=public.id, team_id__in=list(members)).count()
    assert (public.game, in_public) == ("classic", 0)


async def test_grand_prix_teams_leave_the_classic_draws_as_they_were(replay_season: int) -> None:
    """Adding constructors to the draw changes no classic name or lineup of a seed."""
    drivers = await company._season_drivers(replay_season)
    constructors = await company._season_constructors(replay_season)
    assert len(constructors) == 10
    plain = company.plan_company(season=replay_season, drivers=drivers, players=80, seed=2024)
    both = company.plan_company(
        season=replay_season, drivers=drivers, players=80, seed=2024, constructors=constructors
    )
    assert [replace(p, grand_prix=None) for p in both.players] == list(plain.players)
    assert any(p.grand_prix for p in both.players)
    assert all(p.grand_prix is None for p in plain.players)
    assert both.leagues[: len(plain.leagues)] == plain.leagues

"""League domain code on the real database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from webapp.errors import AppError
from webapp.leagues import service
from webapp.leagues.service import INVITE_ALPHABET
from webapp.models import League, LeagueMember, Season, Team, User

MakeTeam = Callable[..., Awaitable[Team]]
REPEATS = range(5)


async def owner_of(team: Team) -> User:
    return await User.get(id=team.owner_id)  # type: ignore[attr-defined]


async def new_league(team: Team, **kwargs: Any) -> League:
    kwargs.setdefault("name", "Sunday Club")
    kwargs.setdefault("is_public", False)
    return await service.create_league(owner=await owner_of(team), team_id=team.id, **kwargs)


async def error_of(call: Awaitable[Any]) -> AppError:
    with pytest.raises(AppError) as caught:
        await call
    return caught.value


async def test_create_enters_the_creators_team(make_team: MakeTeam) -> None:
    team = await make_team()
    league = await new_league(team, name="  Sunday   Club ", max_teams=10)
    assert league.name == "Sunday Club" and league.max_teams == 10
    assert len(league.invite_code) == 8 and set(league.invite_code) <= set(INVITE_ALPHABET)
    assert not set("01OIL") & set(INVITE_ALPHABET)
    assert await LeagueMember.filter(league_id=league.id).values_list("team_id", flat=True) == [
        team.id
    ]
    assert league.season_id == team.season_id  # type: ignore[attr-defined]


async def test_invite_codes_are_drawn_again_when_taken(make_team: MakeTeam) -> None:
    first = await new_league(await make_team(), make_code=lambda: "AAAA2222")
    draws: Iterator[str] = iter(["AAAA2222", "AAAA2222", "BBBB3333"])
    second = await new_league(await make_team(), make_code=lambda: next(draws))
    assert (first.invite_code, second.invite_code) == ("AAAA2222", "BBBB3333")
    assert await League.all().count() == 2


async def test_create_checks_its_input(make_team: MakeTeam) -> None:
    team, other = await make_team(), await make_team()
    error = await error_of(new_league(team, name="ab"))
    assert (error.code, error.field) == ("validation_error", "name")
    for bad in (1, 10_001):
        error = await error_of(new_league(team, max_teams=bad))
        assert (error.code, error.field) == ("validation_error", "max_teams")
    error = await error_of(
        service.create_league(
            owner=await owner_of(team), name="Stolen", is_public=True, team_id=other.id
        )
    )
    assert (error.code, error.status) == ("forbidden", 403)
    assert await League.all().count() == 0


async def test_join_by_code(make_team: MakeTeam) -> None:
    league = await new_league(await make_team(), max_teams=2)
    friend = await make_team()
    friend_owner = await owner_of(friend)
    code = f" {league.invite_code[:4].lower()}-{league.invite_code[4:]} "
    joined = await service.join_by_code(user=friend_owner, invite_code=code, team_id=friend.id)
    assert joined.id == league.id
    error = await error_of(
        service.join_by_code(user=friend_owner, invite_code=league.invite_code, team_id=friend.id)
    )
    assert (error.code, error.status) == ("already_member", 409)
    late = await make_team()
    error = await error_of(
        service.join_by_code(
            user=await owner_of(late), invite_code=league.invite_code, team_id=late.id
        )
    )
    assert (error.code, error.status) == ("league_full", 422)
    assert error.message == "This league is full: 2 of 2 teams"
    error = await error_of(
        service.join_by_code(user=friend_owner, invite_code="ZZZZZZZZ", team_id=friend.id)
    )
    assert (error.code, error.status) == ("invalid_invite_code", 422)


async def test_joining_needs_your_own_team_of_the_same_season(make_team: MakeTeam) -> None:
    league = await new_league(await make_team())
    mine, theirs = await make_team(), await make_team()
    me = await owner_of(mine)
    error = await error_of(
        service.join_by_code(user=me, invite_code=league.invite_code, team_id=theirs.id)
    )
    assert (error.code, error.status) == ("forbidden", 403)
    await Season.create(year=2024, name="2024")
    old = await Team.create(owner_id=me.id, season_id=2024, name="Old Timers")
    error = await error_of(
        service.join_by_code(user=me, invite_code=league.invite_code, team_id=old.id)
    )
    assert error.code == "season_mismatch" and "2025" in error.message
    assert await LeagueMember.filter(league_id=league.id).count() == 1


async def test_public_and_private_visibility(make_team: MakeTeam) -> None:
    owner_team, member_team, stranger_team = await make_team(), await make_team(), await make_team()
    private = await new_league(owner_team)
    public = await new_league(owner_team, name="Open Paddock", is_public=True)
    member, stranger = await owner_of(member_team), await owner_of(stranger_team)
    await service.join_by_code(user=member, invite_code=private.invite_code, team_id=member_team.id)
    for viewer in (None, stranger):
        assert (
            await error_of(service.get_league(league_id=private.id, viewer=viewer))
        ).status == 404
        error = await error_of(
            service.join_public(user=stranger, league_id=private.id, team_id=stranger_team.id)
        )
        assert error.status == 404
    assert (await service.get_league(league_id=private.id, viewer=member)).id == private.id
    assert (await service.get_league(league_id=public.id, viewer=None)).id == public.id
    await service.join_public(user=stranger, league_id=public.id, team_id=stranger_team.id)
    error = await error_of(
        service.join_public(user=member, league_id=private.id, team_id=member_team.id)
    )
    assert error.status == 403  # a member, but private leagues are joined by code


async def test_leaving_and_removing(make_team: MakeTeam) -> None:
    owner_team, a, b = await make_team(), await make_team(), await make_team()
    league = await new_league(owner_team, is_public=True)
    owner, user_a, user_b = await owner_of(owner_team), await owner_of(a), await owner_of(b)
    for user, team in ((user_a, a), (user_b, b)):
        await service.join_public(user=user, league_id=league.id, team_id=team.id)
    error = await error_of(service.remove_team(user=user_a, league_id=league.id, team_id=b.id))
    assert (error.code, error.status) == ("forbidden", 403)
    error = await error_of(
        service.remove_team(user=owner, league_id=league.id, team_id=owner_team.id)
    )
    assert (error.code, error.status) == ("owner_cannot_leave", 409)
    assert "2 other team(s)" in error.message
    await service.remove_team(user=user_a, league_id=league.id, team_id=a.id)  # leaves
    await service.remove_team(user=owner, league_id=league.id, team_id=b.id)  # removed
    error = await error_of(service.remove_team(user=owner, league_id=league.id, team_id=b.id))
    assert error.status == 404
    await service.remove_team(user=owner, league_id=league.id, team_id=owner_team.id)
    assert not await League.exists(id=league.id)  # the owner's last team closed it


async def test_search_public_leagues(make_team: MakeTeam) -> None:
    team = await make_team()
    for name in ("Monza Tifosi", "monza mates", "Silverstone"):
        await new_league(team, name=name, is_public=True)
    await new_league(team, name="Secret Monza")
    views, total = await service.search_public(season=2025, q="MONZA")
    assert total == 2 and [v.league.name for v in views] == ["monza mates", "Monza Tifosi"]
    assert all(v.team_count == 1 for v in views)
    page, total = await service.search_public(season=2025, q="", limit=2, offset=2)
    assert total == 3 and [v.league.name for v in page] == ["Silverstone"]
    mine = await service.my_leagues(user=await owner_of(team))
    assert len(mine) == 4


async def _outcomes(*calls: Awaitable[Any]) -> list[str]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, AppError):
            raise result
    return sorted(r.code if isinstance(r, AppError) else "ok" for r in results)


@pytest.mark.parametrize("repeat", REPEATS)
async def test_teams_racing_for_the_last_place(repeat: int, make_team: MakeTeam) -> None:
    league = await new_league(await make_team(), max_teams=3)
    first = await make_team()
    await service.join_by_code(
        user=await owner_of(first), invite_code=league.invite_code, team_id=first.id
    )
    racers = [await make_team() for _ in range(8)]
    users = [await owner_of(t) for t in racers]
    codes = await _outcomes(
        *(
            service.join_by_code(user=u, invite_code=league.invite_code, team_id=t.id)
            for u, t in zip(users, racers, strict=True)
        )
    )
    assert codes == ["league_full"] * 7 + ["ok"]
    assert await LeagueMember.filter(league_id=league.id).count() == 3


@pytest.mark.parametrize("repeat", REPEATS)
async def test_one_team_joining_twice_at_once(repeat: int, make_team: MakeTeam) -> None:
    league = await new_league(await make_team(), is_public=True)
    team = await make_team()
    user = await owner_of(team)
    codes = await _outcomes(
        *(service.join_public(user=user, league_id=league.id, team_id=team.id) for _ in range(4))
    )
    assert codes == ["already_member"] * 3 + ["ok"]

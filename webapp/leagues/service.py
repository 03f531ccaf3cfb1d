"""Leagues: create, join by code or from search, leave, remove, and who may see what."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Lower
from tortoise.transactions import in_transaction

from webapp import games
from webapp.errors import AppError
from webapp.leaderboards.refresh import league_membership_changed
from webapp.models import League, LeagueMember, Team, User
from webapp.notifications.producers import announce_membership, notify_league_joined
from webapp.visibility import may_see_league

# No 0/O, 1/I/L: a code read aloud or off a screen cannot be mistyped into another.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
CODE_ATTEMPTS = 10
NAME_MIN, NAME_MAX = 3, 50
MAX_TEAMS_MIN, MAX_TEAMS_MAX, MAX_TEAMS_DEFAULT = 2, 10_000, 50


def new_invite_code() -> str:
    """Return a random invite code."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalise_code(code: str) -> str:
    """Return an invite code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


@dataclass
class LeagueView:
    """A league with its owner and head count, as the API and pages show it."""

    league: League
    team_count: int

    @property
    def owner(self) -> User:
        """Return the league's owner (loaded)."""
        return self.league.owner


async def create_league(
    *,
    owner: User,
    name: str,
    is_public: bool,
    team_id: int,
    max_teams: int = MAX_TEAMS_DEFAULT,
    game: str = games.DEFAULT_GAME,
    make_code: Callable[[], str] = new_invite_code,
) -> League:
    """Create a league of the team's season for a game and enter the creator's team."""
    played = games.get(game)
    name = _clean_name(name)
    if not MAX_TEAMS_MIN <= max_teams <= MAX_TEAMS_MAX:
        raise _field_error(
            "max_teams", f"Maximum teams must be between {MAX_TEAMS_MIN} and {MAX_TEAMS_MAX}"
        )
    team = await _own_team(user=owner, team_id=team_id)
    _check_game(league_game=played.name, team=team)
    for _ in range(CODE_ATTEMPTS):
        code = make_code()
        try:
            async with in_transaction():
                league = await League.create(
                    season_id=team.season_id,
                    name=name,
                    is_public=is_public,
                    invite_code=code,
                    owner_id=owner.id,
                    max_teams=max_teams,
                    game=played.name,
                    # The legacy column names the board's system: the game's name.
                    scoring_system=played.name,
                )
                await LeagueMember.create(league_id=league.id, team_id=team.id)
        except IntegrityError:
            continue  # the code was taken: draw another
        league.owner = owner
        return league
    raise AppError("internal_error", "Could not draw a free invite code", status=503)


async def get_league(*, league_id: int, viewer: User | None) -> League:
    """Return a league the viewer may see; private ones are invisible to non-members."""
    league = await League.get_or_none(id=league_id).select_related("owner")
    viewer_id = viewer.id if viewer else None
    if league is None or not await may_see_league(league=league, user_id=viewer_id):
        raise AppError.not_found("No such league")
    return league


async def join_by_code(*, user: User, invite_code: str, team_id: int) -> League:
    """Enter the user's team into the league with this invite code."""
    league = await League.get_or_none(invite_code=normalise_code(invite_code))
    if league is None:
        raise AppError("invalid_invite_code", "No league has that invite code", field="invite_code")
    return await _enter(user=user, league_id=league.id, team_id=team_id)


async def join_public(*, user: User, league_id: int, team_id: int) -> League:
    """Enter the user's team into a public league."""
    league = await get_league(league_id=league_id, viewer=user)
    if not league.is_public:
        raise AppError.forbidden("A private league is joined with its invite code")
    return await _enter(user=user, league_id=league.id, team_id=team_id)


async def remove_team(*, user: User, league_id: int, team_id: int) -> None:
    """Take a team out of a league: its owner leaves, or the league owner removes it."""
    league = await get_league(league_id=league_id, viewer=user)
    async with in_transaction():
        league = await League.select_for_update(no_key=True).get(id=league.id)
        member = await LeagueMember.get_or_none(
            league_id=league.id, team_id=team_id
        ).select_related("team")
        if member is None:
            raise AppError.not_found("That team is not in this league")
        owner_id = league.owner_id
        team_owner = member.team.owner_id
        if user.id not in (owner_id, team_owner):
            raise AppError.forbidden("Only the team's owner or the league's owner can do that")
        closed = False
        if team_owner == owner_id:
            others = await LeagueMember.filter(league_id=league.id).exclude(team_id=team_id)
            owner_stays = (
                await LeagueMember.filter(league_id=league.id, team__owner_id=owner_id)
                .exclude(team_id=team_id)
                .exists()
            )
            if others and not owner_stays:
                raise AppError(
                    "owner_cannot_leave",
                    f"You own this league and {len(others)} other team(s) are in it;"
                    " remove them first",
                    status=409,
                )
            closed = not others
        if closed:
            # The owner's last team leaving an otherwise empty league closes it.
            await league.delete()
        else:
            await member.delete()
    await league_membership_changed(league_id=league.id)
    if not closed:
        await announce_membership(league_id=league.id, notified=[])


async def search_public(
    *, season: int, q: str = "", game: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[LeagueView], int]:
    """Return a page of public leagues whose name contains `q` (of one game if given)."""
    query = League.filter(season_id=season, is_public=True)
    if game is not None:
        query = query.filter(game=games.get(game).name)
    if q.strip():
        query = query.filter(name__icontains=q.strip())
    total = await query.count()
    rows = (
        await query.annotate(sort_name=Lower("name"))
        .select_related("owner")
        .order_by("sort_name", "id")
        .offset(offset)
        .limit(limit)
    )
    return await _with_counts(rows), total


async def my_leagues(*, user: User, season: int | None = None) -> list[LeagueView]:
    """Return the leagues the user owns or has a team in, by name."""
    query = League.filter(members__team__owner_id=user.id)
    owned = League.filter(owner_id=user.id)
    if season is not None:
        query, owned = query.filter(season_id=season), owned.filter(season_id=season)
    ids = set(await query.values_list("id", flat=True)) | set(
        await owned.values_list("id", flat=True)
    )
    rows = (
        await League.filter(id__in=ids)
        .annotate(sort_name=Lower("name"))
        .select_related("owner")
        .order_by("sort_name", "id")
    )
    return await _with_counts(rows)


async def league_view(*, league: League) -> LeagueView:
    """Return a league with its head count."""
    return LeagueView(
        league=league, team_count=await LeagueMember.filter(league_id=league.id).count()
    )


async def league_members(*, league: League, owner_id: int | None = None) -> list[Team]:
    """Return the league's teams (only `owner_id`'s if given) with owners, best points first."""
    teams = Team.filter(memberships__league_id=league.id)
    if owner_id is not None:
        teams = teams.filter(owner_id=owner_id)
    return await teams.select_related("owner").order_by("-points", "id")


async def _with_counts(leagues: list[League]) -> list[LeagueView]:
    rows = (
        await LeagueMember.filter(league_id__in=[league.id for league in leagues])
        .group_by("league_id")
        .annotate(n=Count("id"))
        .values_list("league_id", "n")
    )
    counts = dict(rows)
    return [LeagueView(league=league, team_count=counts.get(league.id, 0)) for league in leagues]


async def _enter(*, user: User, league_id: int, team_id: int) -> League:
    team = await _own_team(user=user, team_id=team_id)
    async with in_transaction():
        # Joins of one league queue on its row, so the head count cannot go stale.
        league = await League.select_for_update(no_key=True).get(id=league_id)
        if league.season_id != team.season_id:
            raise AppError(
                "season_mismatch",
                f"This league is for season {league.season_id}; "
                f"{team.name} plays season {team.season_id}",
                field="team_id",
            )
        _check_game(league_game=league.game, team=team)
        if await LeagueMember.filter(league_id=league.id, team_id=team.id).exists():
            raise AppError("already_member", f"{team.name} is already in this league", status=409)
        count = await LeagueMember.filter(league_id=league.id).count()
        if count >= league.max_teams:
            raise AppError(
                "league_full", f"This league is full: {count} of {league.max_teams} teams"
            )
        member = await LeagueMember.create(league_id=league.id, team_id=team.id)
        notified = await notify_league_joined(
            league_id=league.id, team_id=team.id, member_id=member.id
        )
    await league_membership_changed(league_id=league.id)
    await announce_membership(league_id=league.id, notified=notified)
    await league.fetch_related("owner")
    return league


async def _own_team(*, user: User, team_id: int) -> Team:
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise AppError.not_found("No such team")
    if team.owner_id != user.id:
        raise AppError.forbidden("That team is not yours")
    return team


def _check_game(*, league_game: str, team: Team) -> None:
    if team.game != league_game:
        league_title, team_title = games.get(league_game).title, games.get(team.game).title
        raise AppError(
            "game_mismatch",
            f"This league plays the {league_title} game; {team.name} plays {team_title}",
            details={"field": "team_id"},
            field="team_id",
        )


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not NAME_MIN <= len(cleaned) <= NAME_MAX:
        raise _field_error(
            "name",
            f"League name must be {NAME_MIN} to {NAME_MAX} characters; it has {len(cleaned)}",
        )
    return cleaned


def _field_error(field: str, message: str) -> AppError:
    return AppError("validation_error", message, details={"fields": {field: message}}, field=field)

"""Who may see a league and its board: the one rule its pages, the API, boards and sockets use."""

from __future__ import annotations

from webapp.models import League, LeagueMember


async def is_league_member(*, league: League, user_id: int) -> bool:
    """Tell whether the user owns the league or one of its teams."""
    if league.owner_id == user_id:
        return True
    return await LeagueMember.exists(league_id=league.id, team__owner_id=user_id)


async def may_see_league(*, league: League, user_id: int | None) -> bool:
    """Tell whether a viewer may see the league: anyone a public one, members a private one."""
    if league.is_public:
        return True
    return user_id is not None and await is_league_member(league=league, user_id=user_id)

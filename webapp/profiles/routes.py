"""Profiles API and pages: a player's public profile, and their own history."""

from __future__ import annotations

from quart import Blueprint, Response, render_template
from quart_schema import hide, validate_response

from webapp.auth.current import current_user
from webapp.pagecache import anonymous_page, page_response
from webapp.profiles.service import find_player, player_profile
from webapp.schemas import ApiModel

api = Blueprint("profiles_api", __name__)
pages = Blueprint("profiles_pages", __name__)


class ProfileTeamOut(ApiModel):
    id: int
    name: str
    season: int
    game: str
    points: int
    rank: int
    replay: bool


class PlayerProfileOut(ApiModel):
    id: int
    username: str
    display_name: str
    seasons_played: int
    league_count: int
    best_rank: int | None
    teams: list[ProfileTeamOut]


@api.get("/users/<int:user_id>/profile")
@validate_response(PlayerProfileOut)
async def profile(user_id: int) -> PlayerProfileOut:
    """Return a player's public profile: teams with ranks, seasons, leagues (public)."""
    found = await player_profile(user=await find_player(user_id=user_id))
    return PlayerProfileOut(
        id=found.user.id,
        username=found.user.username,
        display_name=found.user.display_name,
        seasons_played=found.seasons_played,
        league_count=found.league_count,
        best_rank=found.best_rank,
        teams=[ProfileTeamOut.model_validate(team) for team in found.teams],
    )


@pages.get("/players/<username>")
@hide
async def player_page(username: str) -> Response:
    """Show a player's profile; to the player, their history with private leagues too."""
    player = await find_player(username=username[:30])
    viewer = await current_user()
    own = viewer is not None and viewer.id == player.id
    html = await render_template(
        "profiles/player.html", profile=await player_profile(user=player, own=own), own=own
    )
    return anonymous_page(html) if viewer is None else page_response(html)

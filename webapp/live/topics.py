"""Which live topics a caller asked for and may see, and the channels each one listens on."""

from __future__ import annotations

from webapp.catalogue.queries import remembered_current_season
from webapp.events import league_channel, race_channel, season_channel, user_channel
from webapp.live.hub import Topic
from webapp.models import League, Race, User
from webapp.visibility import may_see_league

MAX_TOPICS = 10


def parse_topics(raw: str) -> list[tuple[str, int | None]]:
    """Return the well-formed `(kind, id)` pairs of a comma-separated topic list, in order."""
    seen: list[tuple[str, int | None]] = []
    for part in raw.split(","):
        name = part.strip().lower()
        kind, _, ident = name.partition(":")
        item: tuple[str, int | None]
        if kind in ("leaderboard", "user") and not ident:
            item = (kind, None)
        elif kind in ("league", "race") and ident.isdigit() and len(ident) < 10:
            item = (kind, int(ident))
        else:
            continue
        if item not in seen:
            seen.append(item)
    return seen[:MAX_TOPICS]


async def resolve_topics(
    raw: str, *, user: User | None, configured_season: int | None
) -> list[Topic]:
    """Return the topics of `raw` the caller may see; the others are ignored."""
    topics: list[Topic] = []
    for kind, ident in parse_topics(raw):
        if kind == "leaderboard":
            # Every socket of a reconnect storm asks: kept a minute per process.
            season = await remembered_current_season(configured=configured_season)
            topics.append(Topic("leaderboard", kind, 0, season, (season_channel(season),)))
        elif kind == "user" and user is not None:
            topics.append(Topic(f"user:{user.id}", kind, user.id, 0, (user_channel(user.id),)))
        elif kind == "league" and ident is not None:
            league = await League.get_or_none(id=ident)
            if league is not None and await may_see_league(
                league=league, user_id=user.id if user else None
            ):
                season = league.season_id
                channels = (season_channel(season), league_channel(ident))
                topics.append(Topic(f"league:{ident}", kind, ident, season, channels))
        elif kind == "race" and ident is not None:
            race = await Race.get_or_none(id=ident)
            if race is not None:
                season = race.season_id
                channels = (season_channel(season), race_channel(ident))
                topics.append(Topic(f"race:{ident}", kind, ident, season, channels))
    return topics

"""Which live topics a caller asked for and may see, and the channels each one listens on."""

from __future__ import annotations

from webapp import games
from webapp.catalogue.queries import remembered_current_season
from webapp.events import league_channel, race_channel, season_channel, user_channel
from webapp.live.hub import Topic
from webapp.models import League, Race, User
from webapp.visibility import may_see_league

MAX_TOPICS = 10


def parse_topics(raw: str) -> list[tuple[str, int | None, str]]:
    """Return the well-formed `(kind, id, game)` triples of a comma-separated topic list.

    Overall and race boards name a game after a colon (`leaderboard:grand_prix`,
    `race:12:grand_prix`); without one they are the classic game's. Unknown games are dropped.
    """
    known = {game.name for game in games.all()}
    seen: list[tuple[str, int | None, str]] = []
    for part in raw.split(","):
        name = part.strip().lower()
        kind, _, rest = name.partition(":")
        item: tuple[str, int | None, str]
        if kind == "user" and not rest:
            item = (kind, None, games.DEFAULT_GAME)
        elif kind == "leaderboard" and (not rest or rest in known):
            item = (kind, None, rest or games.DEFAULT_GAME)
        elif kind in ("league", "race"):
            ident, _, game = rest.partition(":")
            if not (ident.isdigit() and len(ident) < 10):
                continue
            if kind == "league" and game:
                continue  # a league's board is of the league's game
            if game and game not in known:
                continue
            item = (kind, int(ident), game or games.DEFAULT_GAME)
        else:
            continue
        if item not in seen:
            seen.append(item)
    return seen[:MAX_TOPICS]


def _suffix(game: str) -> str:
    return "" if game == games.DEFAULT_GAME else f":{game}"


async def resolve_topics(
    raw: str, *, user: User | None, configured_season: int | None
) -> list[Topic]:
    """Return the topics of `raw` the caller may see; the others are ignored."""
    topics: list[Topic] = []
    for kind, ident, game in parse_topics(raw):
        if kind == "leaderboard":
            # Every socket of a reconnect storm asks: kept a minute per process.
            season = await remembered_current_season(configured=configured_season)
            key = "leaderboard" + _suffix(game)
            topics.append(Topic(key, kind, 0, season, (season_channel(season),), game))
        elif kind == "user" and user is not None:
            topics.append(Topic(f"user:{user.id}", kind, user.id, 0, (user_channel(user.id),)))
        elif kind == "league" and ident is not None:
            league = await League.get_or_none(id=ident)
            if league is not None and await may_see_league(
                league=league, user_id=user.id if user else None
            ):
                season = league.season_id
                channels = (season_channel(season), league_channel(ident))
                topics.append(Topic(f"league:{ident}", kind, ident, season, channels, league.game))
        elif kind == "race" and ident is not None:
            race = await Race.get_or_none(id=ident)
            if race is not None:
                season = race.season_id
                channels = (season_channel(season), race_channel(ident))
                key = f"race:{ident}{_suffix(game)}"
                topics.append(Topic(key, kind, ident, season, channels, game))
    return topics

"""The live events on Redis pub/sub and the channels they travel on, each named once.

Every channel carries the Redis database number after `paddock:` (pub/sub ignores
database numbers, so tests and deployments sharing a server stay apart). Messages are
small JSON on purpose: listeners re-read what they show.
- `paddock:{db}:race:{race_id}`: `results` when a race's results get a new version.
- `paddock:{db}:season:{year}`: `scores` when team points of one game of the season
  changed (one event per game; an event naming no game is classic's).
- `paddock:{db}:user:{user_id}`: `notifications` when the user got `count` new ones,
  `read` when the user read them on another page.
- `paddock:{db}:league:{league_id}`: `members` when the league's teams changed.
- `paddock:{db}:live:control`: what every live hub listens on from the start; `dropped`
  when a generation moved that every process's kept pages must drop at once (a rescoring).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Literal, TypedDict

from webapp.redis import get_redis


class Event(StrEnum):
    """The `type` of a live event."""

    RESULTS = "results"
    SCORES = "scores"
    NOTIFICATIONS = "notifications"
    READ = "read"
    MEMBERS = "members"
    DROPPED = "dropped"
    # Never published: a hub hands it to a topic to draw its current state.
    SYNC = "sync"


class Channel(StrEnum):
    """What a pub/sub channel is about; its name is the kind and an id."""

    RACE = "race"
    SEASON = "season"
    USER = "user"
    LEAGUE = "league"
    LIVE = "live"


class ResultsEvent(TypedDict):
    type: Literal[Event.RESULTS]
    race_id: int
    version: int
    status: str


class ScoresEvent(TypedDict):
    type: Literal[Event.SCORES]
    season: int
    race_id: int
    # Events published before they named a game are the default (classic) game's.
    game: str


class NotificationsEvent(TypedDict):
    type: Literal[Event.NOTIFICATIONS]
    user_id: int
    count: int


class ReadEvent(TypedDict):
    type: Literal[Event.READ]
    user_id: int


class MembersEvent(TypedDict):
    type: Literal[Event.MEMBERS]
    league_id: int


class DroppedEvent(TypedDict):
    type: Literal[Event.DROPPED]
    # The names of the generations that moved (`webapp.cache.Generation.name`).
    generations: list[str]


LiveEvent = (
    ResultsEvent | ScoresEvent | NotificationsEvent | ReadEvent | MembersEvent | DroppedEvent
)


def channel(kind: Channel, ident: int | str) -> str:
    """Name one pub/sub channel of this Redis database."""
    db = get_redis().connection_pool.connection_kwargs.get("db", 0)
    return f"paddock:{db}:{kind}:{ident}"


def race_channel(race_id: int) -> str:
    """Return the pub/sub channel of one race."""
    return channel(Channel.RACE, race_id)


def season_channel(season: int) -> str:
    """Return the pub/sub channel of one season's standings."""
    return channel(Channel.SEASON, season)


def user_channel(user_id: int) -> str:
    """Return the pub/sub channel of one user's notifications."""
    return channel(Channel.USER, user_id)


def league_channel(league_id: int) -> str:
    """Return the pub/sub channel of one league's membership."""
    return channel(Channel.LEAGUE, league_id)


def control_channel() -> str:
    """Return the channel every hub listens on from the start, so its connection exists."""
    return channel(Channel.LIVE, "control")


def scores_event(season: int, race_id: int, game: str) -> ScoresEvent:
    """Return the event telling boards of `game` that its points of a race changed."""
    return {"type": Event.SCORES, "season": season, "race_id": race_id, "game": game}


def dropped_event(*names: str) -> DroppedEvent:
    """Return the event telling every process to drop what it keeps of these generations."""
    return {"type": Event.DROPPED, "generations": sorted(set(names))}


def notifications_event(user_id: int, count: int) -> NotificationsEvent:
    """Return the event telling a user's pages they got `count` new notifications."""
    return {"type": Event.NOTIFICATIONS, "user_id": user_id, "count": count}


def encode(event: LiveEvent) -> str:
    """Return the message text of an event."""
    return json.dumps(event, separators=(",", ":"))


async def publish(channel: str, event: LiveEvent) -> None:
    """Send one event to a pub/sub channel."""
    await get_redis().publish(channel, encode(event))

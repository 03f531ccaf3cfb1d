"""Spa 2024 on the replay: Russell wins on the road, is disqualified, and Hamilton's win scores.

The replay feed is the app's own, served over HTTP by Hypercorn in this process, and the
scheduler's poll task reads it as RESULTS_API_URL: feed client, timetable, store, rescore,
notify, boards, all as in a live season.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from webapp import gameclock
from webapp.catalogue.loader import load_season
from webapp.models import Notification, NotificationType, Race, RaceStatus, User
from webapp.replay.timeline import CATALOGUE, RESULTS_AFTER
from webapp.results.timetable import RaceClock, checks
from webapp.settings import Settings, get_settings
from workers.tasks import poll_due_races

from ..results.conftest import make_team

BUNDLE: Path = CATALOGUE / "season_2024.json"
# Both teams share four drivers; only the captain differs.
CREW = ["albon", "gasly", "ocon", "stroll"]


@pytest.fixture
def task_settings(replay_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point the settings the worker's tasks read at the replay feed, with a generous budget."""
    monkeypatch.setenv("RESULTS_API_URL", replay_settings.results_api_url)
    monkeypatch.setenv("FEED_RATE_PER_SECOND", "1000")
    monkeypatch.setenv("FEED_RATE_PER_HOUR", "100000")
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def board(client: Any) -> dict[str, tuple[int, int]]:
    """Return the 2024 board as team name → (rank, points)."""
    response = await client.get("/api/v1/leaderboard?season=2024&limit=10")
    assert response.status_code == 200
    items = (await response.get_json())["items"]
    return {row["team"]["name"]: (row["rank"], row["points"]) for row in items}


async def notes(user: User) -> list[tuple[str, dict[str, Any]]]:
    """Return a player's notifications about results, oldest first."""
    rows = await Notification.filter(
        user_id=user.id,
        type__in=[NotificationType.RESULTS_PUBLISHED, NotificationType.RESULTS_CHANGED],
    ).order_by("id")
    return [(str(n.type), n.data) for n in rows]


async def poll(clock: gameclock.ManualClock, at: Any) -> list[str]:
    """Move the game's clock to `at` and run the scheduler's poll task once."""
    clock.at = at
    return await poll_due_races()


async def test_the_stewards_change_of_spa_moves_the_board_twice_and_ends_final(
    client,
    manual_clock: gameclock.ManualClock,
    task_settings: Settings,
    make_user: Callable[..., Awaitable[User]],
):
    await load_season(path=BUNDLE)
    spa = await Race.get(season_id=2024, round=14)
    assert spa.name == "Belgian Grand Prix"
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    await make_team(
        owner=alice, name="Russell Racing", refs=["russell", *CREW], captain="russell", race=spa
    )
    await make_team(
        owner=bob, name="Hamilton Racing", refs=["hamilton", *CREW], captain="hamilton", race=spa
    )
    assert await board(client) == {"Russell Racing": (1, 0), "Hamilton Racing": (1, 0)}

    # The feed has Russell's win on the road from RESULTS_AFTER after the start.
    out = spa.starts_at + RESULTS_AFTER + timedelta(minutes=1)
    first = await poll(manual_clock, out)
    assert f"{spa.id}:new_version" in first
    road = await board(client)
    assert road["Russell Racing"][0] == 1 and road["Hamilton Racing"][0] == 2
    assert road["Russell Racing"][1] > road["Hamilton Racing"][1]
    assert (await Race.get(id=spa.id)).status == RaceStatus.PROVISIONAL

    # The poller's first verification check after the results came in sees the final order.
    came_in = RaceClock(starts_at=spa.starts_at, status=RaceStatus.PROVISIONAL, results_at=out)
    times = checks(came_in, task_settings.verify_offsets_hours)
    second = await poll(manual_clock, times[0])
    assert f"{spa.id}:new_version" in second
    final = await board(client)
    assert final["Hamilton Racing"][0] == 1 and final["Russell Racing"][0] == 2
    assert final["Hamilton Racing"][1] > road["Hamilton Racing"][1]
    assert final["Russell Racing"][1] < road["Russell Racing"][1]
    assert (await Race.get(id=spa.id)).status == RaceStatus.PROVISIONAL

    for user, team in ((alice, "Russell Racing"), (bob, "Hamilton Racing")):
        kinds = await notes(user)
        assert [kind for kind, _ in kinds] == ["results_published", "results_changed"]
        assert kinds[0][1]["race_id"] == spa.id and kinds[1][1]["race_id"] == spa.id
        assert kinds[0][1]["points"] == road[team][1]
        assert (kinds[1][1]["old_points"], kinds[1][1]["new_points"]) == (
            road[team][1],
            final[team][1],
        )

    # The last verification check finds nothing new and closes the race.
    last = await poll(manual_clock, times[-1])
    assert f"{spa.id}:unchanged" in last
    assert (await Race.get(id=spa.id)).status == RaceStatus.FINAL
    assert await board(client) == final
    assert len(await notes(alice)) == 2 and len(await notes(bob)) == 2

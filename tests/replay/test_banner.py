"""The replay banner on every page, and the replay page once the season is over."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol
from redis.asyncio import Redis

from webapp.gameclock import system_now
from webapp.models import Replay, User
from webapp.replay import timeline
from webapp.replay.progress import clock_text
from webapp.replay.start import start_season_replay
from webapp.replay.state import replay_clock
from webapp.settings import get_settings

MakeUser = Callable[..., Awaitable[User]]
Login = Callable[..., Awaitable[None]]
PLAYERS = 12


@pytest.fixture
def replaying(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make this site replay 2024 (`REPLAY=2024`), as its pages read the settings."""
    monkeypatch.setenv("REPLAY", "2024")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def page(client: TestClientProtocol, path: str) -> str:
    """Return the HTML of a page that answered 200."""
    response = await client.get(path)
    assert response.status_code == 200, path
    return (await response.get_data()).decode()


def banner(html: str) -> str:
    """Return the banner's text, tags and extra spaces dropped."""
    match = re.search(r'<p class="replay-banner" id="replay-banner">(.*?)</p>', html, re.S)
    assert match, "no replay banner"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()).replace(" ,", ",")


async def started(minutes_ago: float, *, minutes_per_race: float = 10) -> Replay:
    """Start the 2024 replay as if it had begun `minutes_ago` real minutes ago."""
    began = system_now() - timedelta(minutes=minutes_ago)
    run = await start_season_replay(
        season=2024, minutes_per_race=minutes_per_race, now=began, players=PLAYERS
    )
    return run.replay


async def test_no_banner_without_a_replay(
    client: TestClientProtocol, season: int, redis: Redis
) -> None:
    """A live season shows no replay banner, even with a replay started but not run here."""
    await start_season_replay(season=2024, minutes_per_race=10, now=system_now(), players=PLAYERS)
    assert 'id="replay-banner"' not in await page(client, "/leaderboard")
    assert "No replay is running" in await page(client, "/replay")


async def test_every_page_shows_the_round_and_the_next_deadline(
    replaying: None, client: TestClientProtocol, redis: Redis
) -> None:
    """75 minutes into a 10-minute-a-race replay: round 7 of 24, the round 8 deadline next."""
    replay = await started(75)
    clock = replay_clock(replay)
    round8 = timeline.rounds(2024)[7]
    deadline = clock.real_time(round8.lock_at)
    for path in ("/", "/leaderboard", "/leagues", "/login"):
        html = await page(client, path)
        text = banner(html)
        assert text.startswith("Replay of the 2024 season: round 7 of 24, next deadline in "), text
        # The countdown ticks in the browser towards the deadline in real time.
        until = re.search(r'class="countdown-clock" data-until="([^"]+)"', html)
        assert until is not None
        shown_until = datetime.fromisoformat(until.group(1).replace("Z", "+00:00"))
        assert abs(shown_until - deadline) < timedelta(seconds=1)
        shown = text.removeprefix("Replay of the 2024 season: round 7 of 24, next deadline in ")
        minutes, seconds = shown.split(":")
        assert 0 <= int(minutes) < 20 and len(seconds) == 2


async def test_before_round_one_the_banner_says_it_comes_next(
    replaying: None, client: TestClientProtocol, redis: Redis
) -> None:
    """Right after the start, the first deadline is inside the first slot."""
    await started(1)
    text = banner(await page(client, "/leaderboard"))
    assert text.startswith("Replay of the 2024 season: round 1 of 24 comes next, next deadline in")


def test_the_countdown_reads_like_a_clock() -> None:
    """Minutes and seconds, hours only when there are some."""
    assert clock_text(272) == "4:32"
    assert clock_text(59) == "0:59"
    assert clock_text(3600 + 4 * 60 + 5) == "1:04:05"
    assert clock_text(-3) == "0:00"


async def test_a_finished_replay_shows_final_standings_and_a_restart_for_admins(
    replaying: None,
    app: Quart,
    client: TestClientProtocol,
    redis: Redis,
    make_user: MakeUser,
    login: Login,
) -> None:
    """Past the last round: 'replay finished' everywhere, final standings, admins restart."""
    await started(24 * 10 + 30)
    text = banner(await page(client, "/leaderboard"))
    assert text == "Replay of the 2024 season: replay finished. Final standings"
    html = await page(client, "/replay")
    assert "Replay finished." in html and "Final standings" in html
    assert html.count("<li><strong>#") == 10
    assert "Restart the replay from round 1" not in html

    await login(client, await make_user("player"))
    assert "Restart the replay" not in await page(client, "/replay")

    admin = app.test_client()
    await login(admin, await make_user("steward", is_admin=True))
    html = await page(admin, "/replay")
    assert "Restart the replay from round 1" in html
    assert 'action="/admin/replay"' in html and 'name="csrf_token"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    restarted = await admin.post(
        "/admin/replay",
        form={"season": "2024", "minutes_per_race": "10", "csrf_token": token.group(1)},
    )
    assert restarted.status_code == 303
    text = banner(await page(admin, "/leaderboard"))
    assert text.startswith("Replay of the 2024 season: round 1 of 24 comes next"), text
    html = await page(admin, restarted.headers["Location"])
    assert "Replay started over from round 1." in html
    assert "Running: the 2024 season, round 0 of 24, 10 minutes per race." in " ".join(html.split())

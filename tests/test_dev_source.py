"""`paddock dev` replays a bundled season on a bare local run whose results feed is silent."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.results.conftest import FakeFeed, feed
from webapp import cli
from webapp.settings import get_settings

__all__ = ["feed"]  # the fake feed fixture, used here outside tests/results


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Start from an environment naming none of the choice's settings, restored afterwards."""
    for name in ("REPLAY", "RESULTS_API_URL", "DATABASE_URL", "SEASON", "PORT"):
        # Set first so the patch records the original and removes what the choice writes.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _silent_feed() -> str:
    """Return the URL of a feed on a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ergast/f1"


def test_a_silent_feed_on_a_bare_run_means_the_replay_and_its_own_feed(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("PORT", "8123")
    env.setenv("RESULTS_API_URL", _silent_feed())  # as the default feed is, offline
    chosen = cli._choose_results_source(get_settings(), named=set())
    assert chosen.replay == cli.DEFAULT_REPLAY
    assert chosen.results_api_url == "http://127.0.0.1:8123/replay/ergast/f1"
    path = cli._season_file(chosen)
    assert path is not None and path.name == f"season_{cli.DEFAULT_REPLAY}.json"
    assert path.is_file()


def test_a_feed_that_answers_keeps_the_live_season(env: pytest.MonkeyPatch, feed: FakeFeed) -> None:
    feed.serve("/current.json", {"MRData": {"RaceTable": {"season": "2025", "Races": []}}})
    env.setenv("RESULTS_API_URL", feed.url)
    chosen = cli._choose_results_source(get_settings(), named=set())
    assert chosen.replay is None
    assert chosen.results_api_url == feed.url
    assert cli._season_file(chosen) is None


@pytest.mark.parametrize("named", ["database_url", "results_api_url"])
def test_a_named_database_or_feed_is_never_swapped_for_a_replay(
    env: pytest.MonkeyPatch, named: str
) -> None:
    env.setenv("RESULTS_API_URL", _silent_feed())
    settings = get_settings()
    chosen = cli._choose_results_source(settings, named={named})
    assert chosen is settings
    assert chosen.replay is None


def test_an_asked_replay_uses_its_own_feed_unless_another_is_named(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("REPLAY", "2023")
    env.setenv("PORT", "8124")
    asked = cli._choose_results_source(get_settings(), named={"replay", "port"})
    assert asked.replay == 2023
    assert asked.results_api_url == "http://127.0.0.1:8124/replay/ergast/f1"

    elsewhere = "http://127.0.0.1:9/ergast/f1"
    env.setenv("RESULTS_API_URL", elsewhere)
    kept = cli._choose_results_source(get_settings(), named={"replay", "results_api_url"})
    assert kept.replay == 2023
    assert kept.results_api_url == elsewhere

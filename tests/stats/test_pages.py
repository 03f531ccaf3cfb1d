"""Statistics pages as a browser gets them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart.typing import TestClientProtocol

from tests.stats.conftest import Corrected


async def text(response: object) -> str:
    return (await response.get_data()).decode()  # type: ignore[attr-defined]


async def test_versions_page_shows_the_timeline_and_the_diff(
    client: TestClientProtocol, corrected: Corrected
) -> None:
    response = await client.get(f"/races/{corrected.race.id}/versions")
    assert response.status_code == 200
    html = await text(response)
    assert "provisional" in html and "revised" in html
    assert "Version 1 → version 2" in html
    assert "<del>Finished</del> → <ins>Disqualified</ins>" in html
    assert "to see what this change did to your teams" in html


async def test_a_signed_in_player_sees_their_points_before_and_after(
    client: TestClientProtocol,
    corrected: Corrected,
    login: Callable[..., Awaitable[None]],
) -> None:
    await login(client, corrected.alice)
    html = await text(await client.get(f"/races/{corrected.race.id}/versions"))
    assert "93 → 44 pts" in html
    assert "touched: HAM 18 → 25, RUS 60 → 0, PIA 15 → 18, RIC 0 → 1" in html
    inbox = await text(await client.get("/notifications"))
    assert f'href="/races/{corrected.race.id}/versions?to=2">See what changed' in inbox


async def test_race_page_lists_versions_and_links_the_diff(
    client: TestClientProtocol, corrected: Corrected
) -> None:
    html = await text(await client.get(f"/races/{corrected.race.id}"))
    assert 'id="result-versions"' in html
    assert f'href="/races/{corrected.race.id}/versions"' in html


async def test_bad_version_arguments_are_named(
    client: TestClientProtocol, corrected: Corrected
) -> None:
    response = await client.get(f"/races/{corrected.race.id}/versions?to=two")
    assert response.status_code == 422
    assert "whole number" in await text(response)
    assert (await client.get(f"/races/{corrected.race.id}/versions?from=9")).status_code == 422
    assert (await client.get(f"/races/{corrected.race.id + 50}/versions")).status_code == 404

"""Fixtures of the statistics tests: the scoring tests' small season, with a corrected race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from tests.scoring.factories import (
    BELGIUM,
    BELGIUM_LOCK,
    SINGAPORE,
    SINGAPORE_LOCK,
    ResultRow,
    World,
)
from webapp.models import League, Race, Team, User
from webapp.pipeline import rescore_race

# The 2024 Belgian GP as first published: Russell won on the road with the fastest lap, an
# hour before his disqualification (the correction is the scoring tests' BELGIUM).
ROAD: list[ResultRow] = [("RUS", "1", "Finished", 1)] + [
    (code, str(int(text) + 1) if text.isdigit() else text, status, None if code == "RUS" else lap)
    for code, text, status, lap in BELGIUM
    if code != "RUS"
]
EARLY = BELGIUM_LOCK - timedelta(days=1)


@dataclass
class Corrected:
    world: World
    race: Race
    alice: User
    alpha: Team


@pytest.fixture
async def world(db: None, redis: Redis) -> World:
    """Return an empty 2024 fixture season with its drivers."""
    return await World.create()


@pytest.fixture
async def corrected(world: World, make_user: Callable[..., Awaitable[User]]) -> Corrected:
    """Alice's Alpha (Russell captain) scored Belgium as published, then as corrected."""
    alice = await make_user("alice")
    race = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    alpha = await world.team("Alpha", owner=alice)
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.results(race, ROAD)
    await rescore_race(race_id=race.id)
    await world.results(race, BELGIUM)
    await rescore_race(race_id=race.id)
    return Corrected(world=world, race=race, alice=alice, alpha=alpha)


@dataclass
class Season2:
    """Three teams over Belgium and Singapore; Alpha and Beta in Alice's league Friends."""

    world: World
    belgium: Race
    singapore: Race
    alice: User
    alpha: Team
    beta: Team
    gamma: Team
    friends: League


@pytest.fixture
async def two_races(world: World, make_user: Callable[..., Awaitable[User]]) -> Season2:
    """Alpha leads after Belgium, Beta (a new lineup) after Singapore, Gamma starts late."""
    alice = await make_user("alice")
    belgium = await world.race("Belgian Grand Prix", lock_at=BELGIUM_LOCK)
    singapore = await world.race("Singapore Grand Prix", lock_at=SINGAPORE_LOCK)
    alpha = await world.team("Alpha", owner=alice)
    beta = await world.team("Beta")
    gamma = await world.team("Gamma")
    await world.lineup(alpha, ["RUS", "HAM", "PIA", "ZHO", "RIC"], captain="RUS", saved_at=EARLY)
    await world.lineup(beta, ["NOR", "VER", "SAI", "PER", "HUL"], captain="HUL", saved_at=EARLY)
    between = BELGIUM_LOCK + timedelta(days=2)
    await world.lineup(beta, ["NOR", "VER", "LEC", "PIA", "SAI"], captain="NOR", saved_at=between)
    await world.lineup(gamma, ["ALO", "OCO", "HUL", "ALB", "ZHO"], captain="ALO", saved_at=between)
    friends = await world.league("Friends", owner=alice, teams=[alpha, beta], public=False)
    await world.results(belgium, BELGIUM)
    await world.results(singapore, SINGAPORE)
    await rescore_race(race_id=belgium.id)
    await rescore_race(race_id=singapore.id)
    return Season2(world, belgium, singapore, alice, alpha, beta, gamma, friends)

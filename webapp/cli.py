"""The `paddock` command line: the one-command local run, migrations and data loading."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import httpx

from webapp.auth.cli import admin
from webapp.clitools import progress_shown, services
from webapp.db import close_db, init_db, migrate_db
from webapp.progress import Progress, quiet
from webapp.settings import ROOT, Settings, SettingsError, get_settings
from webapp.supervisor import Program, Supervisor, parse_procfile

if TYPE_CHECKING:
    from webapp.replay.start import ReplayRun

DEV_PROCESSES = ("web", "worker", "scheduler")
# What `paddock dev` replays when nothing says otherwise and the real feed does not answer.
DEFAULT_REPLAY = 2024
FEED_PROBE_SECONDS = 3.0
SEASON_KINDS = ("seasons", "constructors", "drivers", "races")
SEASON_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def main() -> None:
    """Paddock, fantasy Formula 1."""


main.add_command(admin)


@main.command()
def dev() -> None:
    """Run migrations, the bundled season, web, worker and scheduler; embedded DBs if no URL."""
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM cleans up the way Ctrl-C does
    try:
        # What the environment names, before embedded servers add their own URLs to it.
        named = _named_settings()
        with services(redis=True) as settings:
            settings = _choose_results_source(settings, named=named)
            counts = asyncio.run(_migrate_and_load(settings, path=_season_file(settings)))
            click.echo(f"Migrated; bundled season loaded ({_describe(counts)})")
            code = _supervise(settings)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


@main.command()
def migrate() -> None:
    """Apply every pending database migration."""
    with services(redis=False) as settings:
        asyncio.run(migrate_db(settings))
    click.echo("Migrations applied")


@main.group()
def season() -> None:
    """Season catalogue: constructors, drivers and the calendar."""


@season.command("load")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def season_load(file: Path | None) -> None:
    """Load the bundled season file, or FILE, creating or updating its rows."""
    from webapp.errors import AppError

    with services(redis=False) as settings:
        try:
            with progress_shown() as progress:
                counts = asyncio.run(_load(settings, path=file, progress=progress))
        except AppError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Season loaded: {_describe(counts)}")


@season.command("sync")
@click.argument("year", type=int)
def season_sync(year: int) -> None:
    """Import constructors, drivers and calendar of season YEAR from RESULTS_API_URL."""
    from webapp.results.commands import run_sync
    from webapp.results.feed import FeedError

    with services(redis=True) as settings:
        try:
            with progress_shown() as progress:
                counts = asyncio.run(run_sync(settings, season=year, progress=progress))
        except FeedError as exc:
            raise click.ClickException(f"Feed {exc.kind}: {exc}") from None
    click.echo(f"Season {year} synced: {_describe(counts)}")


@main.group()
def results() -> None:
    """Race results from the feed."""


@results.command("poll")
@click.option("--race", "race_id", type=int, help="Poll this race now, whatever the schedule.")
def results_poll(race_id: int | None) -> None:
    """Poll the feed now, in the foreground: one race, or every race that is due."""
    from webapp.errors import AppError
    from webapp.results.commands import describe, run_poll

    with services(redis=True) as settings:
        try:
            outcomes = asyncio.run(run_poll(settings, race_id=race_id))
        except AppError as exc:
            raise click.ClickException(exc.message) from None
    for outcome in outcomes:
        click.echo(describe(outcome))
    if not outcomes:
        click.echo("No race is due for a poll")
    if any(not o.ok for o in outcomes):
        sys.exit(1)


def _named_settings() -> set[str]:
    """Return the settings the environment or .env gives a value."""
    try:
        return set(get_settings().model_fields_set)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _choose_results_source(settings: Settings, *, named: set[str]) -> Settings:
    """Return the settings to run with: a replay when asked, or when no real feed answers.

    A replay is chosen by itself only on a bare local run (embedded database, no feed URL
    given): anywhere a database or feed was named, an unreachable feed is an outage the
    header reports, not a reason to play a different season.
    """
    if settings.replay is None:
        if {"database_url", "results_api_url"} & named or _feed_answers(settings.results_api_url):
            return settings
        os.environ["REPLAY"] = str(DEFAULT_REPLAY)
        click.echo(
            f"The results feed at {settings.results_api_url} does not answer: replaying the "
            f"{DEFAULT_REPLAY} season instead (set RESULTS_API_URL to use a real feed)"
        )
    if "results_api_url" not in named:
        from webapp.replay.routes import PREFIX  # the web app's own replay feed

        os.environ["RESULTS_API_URL"] = f"http://127.0.0.1:{settings.port}{PREFIX}"
    get_settings.cache_clear()
    return get_settings()


def _feed_answers(url: str) -> bool:
    """Tell whether the Ergast-style feed at `url` answers its current calendar."""
    try:
        answer = httpx.get(
            f"{url.rstrip('/')}/current.json", params={"limit": 1}, timeout=FEED_PROBE_SECONDS
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def _season_file(settings: Settings) -> Path | None:
    """Return the bundled file of the replayed season, or None for the default season file."""
    if settings.replay is None:
        return None
    from webapp.replay import timeline

    return timeline.season_file(settings.replay)


@main.group()
def replay() -> None:
    """Replays: a bundled past season re-run on an accelerated clock."""


@replay.command("start")
@click.argument("season", type=int)
@click.option(
    "--minutes-per-race",
    type=float,
    default=10.0,
    show_default=True,
    help="Real minutes each race of the season gets.",
)
def replay_start(season: int, minutes_per_race: float) -> None:
    """Start the replay of bundled SEASON now, or start it over from round 1."""
    from webapp.errors import AppError

    with services(redis=True) as settings:
        try:
            with progress_shown() as progress:
                run = asyncio.run(
                    _start_replay(
                        settings, season=season, minutes=minutes_per_race, progress=progress
                    )
                )
        except AppError as exc:
            raise click.ClickException(f"{exc.field or exc.code}: {exc.message}") from None
    verb = "restarted from round 1" if run.restarted else "started"
    click.echo(
        f"Replay of {season} {verb}: {run.replay.minutes_per_race:g} min per race,"
        f" {run.company.players} generated players added"
    )


async def _start_replay(
    settings: Settings, *, season: int, minutes: float, progress: Progress
) -> ReplayRun:
    from webapp.gameclock import system_now
    from webapp.redis import close_redis, init_redis
    from webapp.replay.start import start_season_replay

    await init_db(settings)
    owned_redis = await init_redis(str(settings.redis_url))
    try:
        return await start_season_replay(
            season=season, minutes_per_race=minutes, now=system_now(), progress=progress
        )
    finally:
        if owned_redis:
            await close_redis()
        await close_db()


def _supervise(settings: Settings) -> int:
    """Run the Procfile's web, worker and scheduler until a signal or the web process ends."""
    commands = parse_procfile((ROOT / "Procfile").read_text())
    bin_dir = Path(sys.executable).parent  # hypercorn and taskiq live beside our interpreter
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PORT": str(settings.port),
        "PYTHONUNBUFFERED": "1",
    }
    # The worker and scheduler come back when they die; the web process is what you use.
    programs = [Program(name, commands[name], restart=name != "web") for name in DEV_PROCESSES]
    click.echo(f"Paddock starting on http://localhost:{settings.port} (Ctrl-C stops it all)")
    return Supervisor(programs, env=env, cwd=ROOT, out=sys.stdout).run()


async def _migrate_and_load(settings: Settings, *, path: Path | None) -> dict[str, int]:
    await migrate_db(settings)
    return await _load(settings, path=path)


async def _load(
    settings: Settings, *, path: Path | None, progress: Progress = quiet
) -> dict[str, int]:
    from webapp.catalogue.loader import load_season

    await init_db(settings)
    try:
        return await load_season(path=path, progress=progress)
    finally:
        await close_db()


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(
        f"{kind} {counts.get(f'{kind}_created', 0)} new {counts.get(f'{kind}_updated', 0)} changed"
        for kind in SEASON_KINDS
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt

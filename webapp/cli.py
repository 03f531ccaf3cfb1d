"""The `paddock` command line: the one-command local run, migrations and data loading."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from webapp.auth.cli import admin
from webapp.clitools import services
from webapp.db import close_db, init_db, migrate_db
from webapp.settings import ROOT, Settings
from webapp.supervisor import Program, Supervisor, parse_procfile

DEV_PROCESSES = ("web", "worker", "scheduler")
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
        with services(redis=True) as settings:
            counts = asyncio.run(_migrate_and_load(settings, path=None))
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
            counts = asyncio.run(_load(settings, path=file))
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
            counts = asyncio.run(run_sync(settings, season=year))
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


async def _load(settings: Settings, *, path: Path | None) -> dict[str, int]:
    from webapp.catalogue.loader import load_season

    await init_db(settings)
    try:
        return await load_season(path=path)
    finally:
        await close_db()


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(
        f"{kind} {counts.get(f'{kind}_created', 0)} new {counts.get(f'{kind}_updated', 0)} changed"
        for kind in SEASON_KINDS
    )


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt

"""What every `paddock` command stands on: settings whose database and Redis answer."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

from webapp.progress import Progress
from webapp.settings import Settings, SettingsError, get_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Off a terminal a stage prints a line when it starts, at each tenth and when it ends.
PLAIN_STEPS = 10


@contextmanager
def services(*, redis: bool) -> Iterator[Settings]:
    """Yield settings whose URLs answer: the environment's, else embedded servers run meanwhile."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.database_url and (settings.redis_url or not redis):
        yield settings
        return
    from webapp.embedded import EmbeddedServices

    embedded = EmbeddedServices(settings.data_dir)
    started = []
    try:
        if not settings.database_url:
            os.environ["DATABASE_URL"] = embedded.start_postgres()
            started.append("PostgreSQL")
        if redis and not settings.redis_url:
            os.environ["REDIS_URL"] = embedded.start_redis()
            started.append("Redis")
        click.echo(f"Embedded {' and '.join(started)} in {embedded.data_dir}")
        get_settings.cache_clear()
        yield get_settings()
    finally:
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            embedded.stop()  # not cut short by a second Ctrl-C
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextmanager
def progress_shown(out: TextIO | None = None) -> Iterator[Progress]:
    """Yield a progress callback: bars on a terminal, else plain lines like `drivers: 5/20`."""
    stream = out or sys.stdout
    console = Console(file=stream)
    if console.is_terminal:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Bars(*columns, TimeElapsedColumn(), console=console) as bars:
            tasks: dict[str, TaskID] = {}

            def draw(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bars.add_task(stage, total=total)
                bars.update(tasks[stage], completed=done, total=total)

            yield draw
        return
    shown: dict[str, int] = {}

    def write(stage: str, done: int, total: int) -> None:
        every = max(1, total // PLAIN_STEPS)
        if shown.get(stage) == done or (0 < done < total and done % every):
            return
        shown[stage] = done
        click.echo(f"{stage}: {done}/{total}", file=stream)

    yield write

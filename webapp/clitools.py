"""What every `paddock` command stands on: settings whose database and Redis answer."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import click

from webapp.settings import Settings, SettingsError, get_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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

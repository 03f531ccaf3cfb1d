"""`paddock admin …`: create or promote administrators."""

from __future__ import annotations

import asyncio

import click

from webapp.clitools import services
from webapp.db import close_db, init_db
from webapp.errors import AppError
from webapp.models import User
from webapp.settings import Settings


@click.group()
def admin() -> None:
    """Administrators of the service."""


@admin.command("create")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--username", required=True, help="3 to 30 letters, digits or underscores.")
@click.option("--password", help="At least 10 characters (not needed to promote).")
@click.option("--promote", is_flag=True, help="Make the existing user with this name an admin.")
def admin_create(email: str, username: str, password: str | None, promote: bool) -> None:
    """Create an admin account, or promote an existing user with --promote."""
    with services(redis=False) as settings:
        try:
            user, created = asyncio.run(
                _create(
                    settings, email=email, username=username, password=password, promote=promote
                )
            )
        except AppError as exc:
            hint = " (use --promote to make an existing user an admin)" if exc.status == 409 else ""
            raise click.ClickException(f"{exc.message}{hint}") from None
    verb = "Created admin" if created else "Promoted"
    click.echo(f"{verb} {user.username} <{user.email}>")


async def _create(
    settings: Settings, *, email: str, username: str, password: str | None, promote: bool
) -> tuple[User, bool]:
    from webapp.auth.passwords import configure_hashing
    from webapp.auth.users import create_admin

    configure_hashing(cheap=settings.environment == "test")
    await init_db(settings)
    try:
        return await create_admin(
            email=email, username=username, password=password, promote=promote
        )
    finally:
        await close_db()


if __name__ == "__main__":
    admin()

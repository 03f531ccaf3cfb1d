"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise, connections

from webapp.db import tortoise_config
from webapp.settings import Settings

COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable, character_maximum_length,
       numeric_precision, numeric_scale
FROM information_schema.columns WHERE table_schema = 'public'
"""
CONSTRAINTS = """
SELECT rel.relname AS table_name, con.contype::text AS kind, pg_get_constraintdef(con.oid) AS def
FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = 'public'
"""
INDEXES = "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"


def _dsn(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _schema(url: str) -> dict[str, set[tuple[object, ...]]]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        result = {}
        for name, sql in (("columns", COLUMNS), ("constraints", CONSTRAINTS), ("indexes", INDEXES)):
            rows = await conn.fetch(sql)
            result[name] = {
                tuple(row.values()) for row in rows if "tortoise_migrations" not in str(row[0])
            }
        return result
    finally:
        await conn.close()


async def test_migrated_schema_equals_models(db: None, settings: Settings) -> None:
    assert settings.database_url
    current = await connections.get("default").execute_query_dict("SELECT current_database() AS d")
    scratch = f"{current[0]['d']}_models"
    admin = await asyncpg.connect(_dsn(settings.database_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{scratch}"')
    finally:
        await admin.close()
    scratch_url = _with_database(settings.database_url, scratch)

    # Build the scratch schema straight from the models, in a context of its own.
    from tortoise.context import TortoiseContext

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(settings, url=scratch_url))
        await ctx.generate_schemas()

    migrated = await _schema(settings.database_url)
    from_models = await _schema(scratch_url)
    assert Tortoise.is_inited()
    for part in ("columns", "constraints", "indexes"):
        assert migrated[part] == from_models[part], part
    assert len(migrated["columns"]) > 100

"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import asyncpg
from tortoise import Tortoise
from tortoise.models import Model

from tests.conftest import asyncpg_dsn, scratch_database
from webapp import models
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


async def _schema(url: str) -> dict[str, set[tuple[object, ...]]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
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


async def _add_declared_checks(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for model in vars(models).values():
            if not (isinstance(model, type) and issubclass(model, Model) and model is not Model):
                continue
            for check in model._meta.constraints:
                await conn.execute(
                    f'ALTER TABLE "{model._meta.db_table}" ADD CONSTRAINT "{check.name}"'
                    f" CHECK ({check.check})"
                )
    finally:
        await conn.close()


async def test_migrated_schema_equals_models(db: None, settings: Settings) -> None:
    assert settings.database_url
    async with scratch_database(settings.database_url, "models") as scratch_url:
        # Build the scratch schema straight from the models, in a context of its own.
        from tortoise.context import TortoiseContext

        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(settings, url=scratch_url))
            await ctx.generate_schemas()
            # generate_schemas leaves out the CHECK constraints a model's Meta declares;
            # the migrations make them, so the models' side gets them here.
            await _add_declared_checks(scratch_url)

        migrated = await _schema(settings.database_url)
        from_models = await _schema(scratch_url)
    assert Tortoise.is_inited()
    for part in ("columns", "constraints", "indexes"):
        assert migrated[part] == from_models[part], part
    assert len(migrated["columns"]) > 100
    checks = {row[2] for row in migrated["constraints"] if row[1] == "c"}
    assert "CHECK ((price > (0)::numeric))" in checks  # declared checks do reach the database

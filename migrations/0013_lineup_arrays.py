from tortoise import migrations
from tortoise.contrib.postgres.fields import ArrayField
from tortoise.fields.db_defaults import SqlDefault
from tortoise.migrations import operations as ops

# Faster scoring (issue 14): each lineup keeps its driver and constructor ids on its own row,
# so a rescoring sums a team's points from a few array lookups instead of joining every
# counting lineup with lineup_drivers and lineup_constructors (7 million rows at a million
# teams, and the planner hashed all of them). The arrays are copies: statement-level triggers
# on the entry tables keep them, whoever writes the entries (the app, a replay, a bulk load).
# A correction rewrites the score rows whose points moved (often half of them): free space on
# their pages lets most of those updates stay on the page (HOT) without new index entries,
# as the season totals on `teams` (fillfactor 50 since 0003) already do.

GATHER = """
CREATE FUNCTION lineups_gather_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lineups l
    SET {kind}_ids = ARRAY(SELECT e.{kind}_id FROM {table} e
                           WHERE e.lineup_id = l.id ORDER BY e.{kind}_id)
    WHERE l.id IN (SELECT lineup_id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER {table}_gather_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION lineups_gather_{kind}();
CREATE TRIGGER {table}_gather_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION lineups_gather_{kind}();
-- An update may move an entry between lineups: both sides are gathered again.
CREATE TRIGGER {table}_gather_update_old AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION lineups_gather_{kind}();
CREATE TRIGGER {table}_gather_update_new AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION lineups_gather_{kind}();
UPDATE lineups l
SET {kind}_ids = ARRAY(SELECT e.{kind}_id FROM {table} e
                       WHERE e.lineup_id = l.id ORDER BY e.{kind}_id);
"""
GATHER_REVERSE = """
DROP TRIGGER {table}_gather_insert ON {table};
DROP TRIGGER {table}_gather_delete ON {table};
DROP TRIGGER {table}_gather_update_old ON {table};
DROP TRIGGER {table}_gather_update_new ON {table};
DROP FUNCTION lineups_gather_{kind}();
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0012_asset_ownership")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Lineup",
            name="driver_ids",
            field=ArrayField("int", db_default=SqlDefault("'{}'::integer[]")),
        ),
        ops.AddField(
            model_name="Lineup",
            name="constructor_ids",
            field=ArrayField("int", db_default=SqlDefault("'{}'::integer[]")),
        ),
        ops.RunSQL(
            GATHER.format(kind="driver", table="lineup_drivers")
            + GATHER.format(kind="constructor", table="lineup_constructors"),
            GATHER_REVERSE.format(kind="driver", table="lineup_drivers")
            + GATHER_REVERSE.format(kind="constructor", table="lineup_constructors"),
        ),
        ops.RunSQL(
            "ALTER TABLE team_race_scores SET (fillfactor = 70)",
            "ALTER TABLE team_race_scores RESET (fillfactor)",
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Faster scoring (issue 14): team_race_scores loses its foreign-key constraints on teams and
# races (each row written paid two lookups, more than half of a first scoring's time) and its
# per-row results version (a correction rewrote every row to bump it). Statement-level
# triggers delete a deleted team's or race's scores instead, as the cascades did.

FORGET_SCORES = """
CREATE FUNCTION team_race_scores_forget_{what}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM team_race_scores s USING gone g WHERE s.{column} = g.id;
    RETURN NULL;
END $$;
CREATE TRIGGER {table}_forget_scores AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION team_race_scores_forget_{what}();
"""
FORGET_SCORES_REVERSE = """
DROP TRIGGER {table}_forget_scores ON {table};
DROP FUNCTION team_race_scores_forget_{what}();
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0010_market')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='TeamRaceScore',
            name='team',
            field=fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=False, to_field='id', related_name='race_scores', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='TeamRaceScore',
            name='race',
            field=fields.ForeignKeyField('models.Race', source_field='race_id', db_constraint=False, to_field='id', related_name='team_scores', on_delete=OnDelete.CASCADE),
        ),
        # AlterField records db_constraint=False but leaves the constraints in place (as in 0003).
        ops.RunSQL(
            "ALTER TABLE team_race_scores DROP CONSTRAINT team_race_scores_team_id_fkey;"
            " ALTER TABLE team_race_scores DROP CONSTRAINT team_race_scores_race_id_fkey",
            "ALTER TABLE team_race_scores ADD CONSTRAINT team_race_scores_team_id_fkey"
            " FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE;"
            " ALTER TABLE team_race_scores ADD CONSTRAINT team_race_scores_race_id_fkey"
            " FOREIGN KEY (race_id) REFERENCES races (id) ON DELETE CASCADE",
        ),
        ops.RunSQL(
            FORGET_SCORES.format(what="teams", column="team_id", table="teams")
            + FORGET_SCORES.format(what="races", column="race_id", table="races"),
            FORGET_SCORES_REVERSE.format(what="teams", table="teams")
            + FORGET_SCORES_REVERSE.format(what="races", table="races"),
        ),
        ops.RemoveField(model_name='TeamRaceScore', name='result_version'),
    ]

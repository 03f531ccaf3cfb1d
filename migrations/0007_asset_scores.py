from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

# Breakdowns of the games scored per session (issue 14): one line per asset, race and game.
# CreateModel records the CHECK without making it, so the RunSQL makes it (as in 0006).
# makemigrations also proposed dropping and re-adding Season.year: deleted, as in 0002.

class Migration(migrations.Migration):
    dependencies = [('models', '0006_games')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RaceAssetScore',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('race', fields.ForeignKeyField('models.Race', source_field='race_id', db_constraint=True, to_field='id', related_name='asset_scores', on_delete=OnDelete.CASCADE)),
                ('scoring_system', fields.CharField(max_length=20)),
                ('result_version', fields.IntField()),
                ('driver', fields.ForeignKeyField('models.Driver', source_field='driver_id', null=True, db_constraint=True, to_field='id', related_name='asset_scores', on_delete=OnDelete.CASCADE)),
                ('constructor', fields.ForeignKeyField('models.Constructor', source_field='constructor_id', null=True, db_constraint=True, to_field='id', related_name='asset_scores', on_delete=OnDelete.CASCADE)),
                ('captain', fields.BooleanField(default=False)),
                ('qualifying_points', fields.IntField()),
                ('sprint_points', fields.IntField()),
                ('race_points', fields.IntField()),
                ('bonus_points', fields.IntField()),
                ('captain_points', fields.IntField()),
                ('points', fields.IntField()),
            ],
            options={'table': 'race_asset_scores', 'app': 'models', 'constraints': [CheckConstraint(check='(driver_id IS NULL) <> (constructor_id IS NULL)', name='race_asset_scores_one_asset')], 'indexes': [Index(fields=['race_id', 'scoring_system'])], 'pk_attr': 'id', 'table_description': "An asset's points in a race weekend under a game scored per session: a breakdown line."},
            bases=['Model'],
        ),
        ops.RunSQL(
            'ALTER TABLE "race_asset_scores" ADD CONSTRAINT "race_asset_scores_one_asset"'
            " CHECK ((driver_id IS NULL) <> (constructor_id IS NULL))",
            reverse_sql='ALTER TABLE "race_asset_scores" DROP CONSTRAINT "race_asset_scores_one_asset"',
        ),
    ]

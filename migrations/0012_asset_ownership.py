from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

# Ownership counts (issue 16): per season and game, how many lineups scored the season's
# latest race and how many of them held each driver and constructor, written by the results
# pipeline's boards stage so that a driver or constructor page reads one row instead of
# counting the season's lineups. makemigrations also proposed dropping and
# re-adding Season.year and restating TeamRaceScore's options: deleted, as in 0002 and 0009.


class Migration(migrations.Migration):
    dependencies = [('models', '0011_lean_scores')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AssetOwnership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('season_id', fields.IntField()),
                ('game', fields.CharField(max_length=20)),
                ('race_id', fields.IntField()),
                ('teams', fields.IntField()),
                ('drivers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('constructors', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'asset_ownership', 'app': 'models', 'unique_together': (('season_id', 'game'),), 'pk_attr': 'id', 'table_description': "How many of a game's teams held each asset in the lineups that scored its latest race."},
            bases=['Model'],
        ),
    ]

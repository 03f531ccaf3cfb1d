from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# One replay per season: the unique season key is what lets every process that starts
# the same replay at once land on the same row, and so on the same start time.


class Migration(migrations.Migration):
    dependencies = [('models', '0004_feed_poll_workers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Replay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('season', fields.OneToOneField('models.Season', source_field='season_id', db_constraint=True, to_field='year', related_name='replay', on_delete=OnDelete.CASCADE)),
                ('began_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('minutes_per_race', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('restarts', fields.IntField(default=0)),
            ],
            options={'table': 'replays', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bundled season re-run on an accelerated clock, one per season, shared by every process.'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

# Games as data (issue 14): a team and a league play one game; Grand Prix lineups hold
# constructors, which now have prices; qualifying and sprint classifications are stored
# with the race's result version; an admin may enter the race's Driver of the Day.
# CreateModel (here and in 0001) records a model's CHECK constraints without making them,
# so the RunSQL at the end makes the three it left out; the models test adds them too.
# makemigrations also proposed dropping and re-adding Season.year: deleted, as in 0002.


class AddFieldState(ops.AddField):
    """Record a field in the migration state only: a RunSQL beside it makes the column.

    A plain AddField makes a NOT NULL column without a default, which fails on a table that
    already has rows; the RunSQL gives existing teams and leagues the classic game.
    """

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0005_replays')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LineupConstructor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lineup', fields.ForeignKeyField('models.Lineup', source_field='lineup_id', db_constraint=True, to_field='id', related_name='constructors', on_delete=OnDelete.CASCADE)),
                ('constructor', fields.ForeignKeyField('models.Constructor', source_field='constructor_id', db_constraint=True, to_field='id', related_name='lineup_entries', on_delete=OnDelete.RESTRICT)),
                ('price', fields.DecimalField(max_digits=5, decimal_places=1)),
            ],
            options={'table': 'lineup_constructors', 'app': 'models', 'unique_together': (('lineup', 'constructor'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SessionResult',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('race', fields.ForeignKeyField('models.Race', source_field='race_id', db_constraint=True, to_field='id', related_name='session_results', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('session', fields.CharField(max_length=12)),
                ('driver', fields.ForeignKeyField('models.Driver', source_field='driver_id', db_constraint=True, to_field='id', related_name='session_results', on_delete=OnDelete.CASCADE)),
                ('constructor', fields.ForeignKeyField('models.Constructor', source_field='constructor_id', db_constraint=True, to_field='id', related_name='session_results', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(null=True)),
                ('position_text', fields.CharField(default='', max_length=4)),
                ('grid', fields.IntField(default=0)),
                ('fastest_lap_rank', fields.IntField(null=True)),
                ('reached', fields.IntField(default=0)),
                ('disqualified', fields.BooleanField(default=False)),
            ],
            options={'table': 'session_results', 'app': 'models', 'unique_together': (('race', 'version', 'session', 'driver'),), 'constraints': [CheckConstraint(check="session IN ('qualifying', 'sprint')", name='session_results_session')], 'pk_attr': 'id', 'table_description': "A driver's qualifying or sprint classification, stored with the race's result version."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Constructor',
            name='price',
            field=fields.DecimalField(null=True, max_digits=5, decimal_places=1),
        ),
        ops.AddConstraint(
            model_name='Constructor',
            constraint=CheckConstraint(check='price > 0', name='constructors_price_positive'),
        ),
        ops.RunSQL(
            "ALTER TABLE \"leagues\" ADD COLUMN \"game\" VARCHAR(20) NOT NULL DEFAULT 'classic'",
            reverse_sql="ALTER TABLE \"leagues\" DROP COLUMN \"game\"",
        ),
        AddFieldState(
            model_name='League',
            name='game',
            field=fields.CharField(default='classic', max_length=20),
        ),
        ops.AddField(
            model_name='Race',
            name='driver_of_the_day',
            field=fields.ForeignKeyField('models.Driver', source_field='driver_of_the_day_id', null=True, db_constraint=True, to_field='id', related_name='driver_of_the_day_races', on_delete=OnDelete.SET_NULL),
        ),
        ops.RunSQL(
            "ALTER TABLE \"teams\" ADD COLUMN \"game\" VARCHAR(20) NOT NULL DEFAULT 'classic'",
            reverse_sql="ALTER TABLE \"teams\" DROP COLUMN \"game\"",
        ),
        AddFieldState(
            model_name='Team',
            name='game',
            field=fields.CharField(default='classic', max_length=20),
        ),
        ops.RunSQL(
            [
                'ALTER TABLE "drivers" ADD CONSTRAINT "drivers_price_positive" CHECK (price > 0)',
                'ALTER TABLE "leagues" ADD CONSTRAINT "leagues_max_teams"'
                " CHECK (max_teams BETWEEN 2 AND 10000)",
                'ALTER TABLE "session_results" ADD CONSTRAINT "session_results_session"'
                " CHECK (session IN ('qualifying', 'sprint'))",
            ],
            reverse_sql=[
                'ALTER TABLE "drivers" DROP CONSTRAINT "drivers_price_positive"',
                'ALTER TABLE "leagues" DROP CONSTRAINT "leagues_max_teams"',
                'ALTER TABLE "session_results" DROP CONSTRAINT "session_results_session"',
            ],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

# Prices per game (issue 15): an asset's price after each race in a game with a market,
# and current_asset_prices(game). CreateModel records the CHECKs without making them, so
# the RunSQLs make them (as in 0007). makemigrations also proposed dropping and re-adding
# Season.year: deleted, as in 0002.


class Migration(migrations.Migration):
    dependencies = [('models', '0008_web_push')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AssetPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('game', fields.CharField(max_length=20)),
                ('season', fields.ForeignKeyField('models.Season', source_field='season_id', db_constraint=True, to_field='year', related_name='asset_prices', on_delete=OnDelete.CASCADE)),
                ('race', fields.ForeignKeyField('models.Race', source_field='race_id', db_constraint=True, to_field='id', related_name='asset_prices', on_delete=OnDelete.CASCADE)),
                ('driver', fields.ForeignKeyField('models.Driver', source_field='driver_id', null=True, db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('constructor', fields.ForeignKeyField('models.Constructor', source_field='constructor_id', null=True, db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('price', fields.DecimalField(max_digits=5, decimal_places=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'asset_prices', 'app': 'models', 'unique_together': (('game', 'race', 'driver'), ('game', 'race', 'constructor')), 'constraints': [CheckConstraint(check='(driver_id IS NULL) <> (constructor_id IS NULL)', name='asset_prices_one_asset'), CheckConstraint(check='price > 0', name='asset_prices_price_positive')], 'indexes': [Index(fields=['driver_id', 'game']), Index(fields=['constructor_id', 'game']), Index(fields=['game', 'season_id'])], 'pk_attr': 'id', 'table_description': "An asset's price in a game with a market, set once after a race's results were first stored."},
            bases=['Model'],
        ),
        ops.RunSQL(
            'ALTER TABLE "asset_prices" ADD CONSTRAINT "asset_prices_one_asset"'
            " CHECK ((driver_id IS NULL) <> (constructor_id IS NULL))",
            reverse_sql='ALTER TABLE "asset_prices" DROP CONSTRAINT "asset_prices_one_asset"',
        ),
        ops.RunSQL(
            'ALTER TABLE "asset_prices" ADD CONSTRAINT "asset_prices_price_positive"'
            " CHECK (price > 0)",
            reverse_sql='ALTER TABLE "asset_prices" DROP CONSTRAINT "asset_prices_price_positive"',
        ),
        # Every asset's current price in a game: its latest row by round, else its starting
        # price. A plain SQL function of one SELECT, so the planner inlines it into the
        # query that joins it (webapp/market/prices.py documents it).
        ops.RunSQL(
            """
CREATE FUNCTION current_asset_prices(game text)
RETURNS TABLE (season_id int, driver_id int, constructor_id int, price numeric(5, 1))
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.season_id, d.id, NULL::int,
           COALESCE((SELECT ap.price FROM asset_prices ap JOIN races r ON r.id = ap.race_id
                     WHERE ap.driver_id = d.id AND ap.game = $1
                     ORDER BY r.round DESC LIMIT 1), d.price)
    FROM drivers d
    UNION ALL
    SELECT c.season_id, NULL::int, c.id,
           COALESCE((SELECT ap.price FROM asset_prices ap JOIN races r ON r.id = ap.race_id
                     WHERE ap.constructor_id = c.id AND ap.game = $1
                     ORDER BY r.round DESC LIMIT 1), c.price)
    FROM constructors c
$$
""",
            reverse_sql="DROP FUNCTION current_asset_prices(text)",
        ),
    ]

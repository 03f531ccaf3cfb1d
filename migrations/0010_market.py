from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The Grand Prix market (issue 15): chips played per team and race, what a lineup's save
# knew of its bank, transfers and penalty, and a race score's penalty, chip and captain.
# makemigrations also proposed dropping and re-adding Season.year: deleted, as in 0002.


class Migration(migrations.Migration):
    dependencies = [("models", "0009_asset_prices")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TeamChip",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "team",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="team_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="chips",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "race",
                    fields.ForeignKeyField(
                        "models.Race",
                        source_field="race_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="chips",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("chip", fields.CharField(max_length=30)),
                ("played_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "team_chips",
                "app": "models",
                "indexes": [
                    Index(fields=["race_id", "team_id"]),
                    Index(fields=["team_id", "race_id"]),
                ],
                "pk_attr": "id",
                "table_description": "A chip a team played for a race; only the game's market data says what it does.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Lineup",
            name="bank",
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=1),
        ),
        ops.AddField(
            model_name="Lineup",
            name="free_transfers",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Lineup",
            name="penalty_points",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="Lineup",
            name="race",
            field=fields.ForeignKeyField(
                "models.Race",
                source_field="race_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="lineups",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Lineup",
            name="transfers",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="TeamRaceScore",
            name="captain_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="TeamRaceScore",
            name="chip",
            field=fields.CharField(null=True, max_length=30),
        ),
        ops.AddField(
            model_name="TeamRaceScore",
            name="penalty_points",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]

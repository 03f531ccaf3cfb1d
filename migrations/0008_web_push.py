from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from webapp.models import NotificationType
from tortoise import fields
from tortoise.indexes import Index

# Web Push (issue 16): browsers' push subscriptions, the notification types each user wants
# pushed, and when the push worker took each notification; `deadline_soon` is a new type.
# makemigrations also proposed dropping and re-adding Season.year: deleted, as in 0002.


class Migration(migrations.Migration):
    dependencies = [('models', '0007_asset_scores')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PushPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_preferences', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharEnumField(description='RESULTS_PUBLISHED: results_published\nRESULTS_CHANGED: results_changed\nLEAGUE_JOINED: league_joined\nLINEUP_LOCKED: lineup_locked\nRANK_CHANGED: rank_changed\nDEADLINE_SOON: deadline_soon', enum_type=NotificationType, max_length=20)),
            ],
            options={'table': 'push_preferences', 'app': 'models', 'unique_together': (('user', 'type'),), 'pk_attr': 'id', 'table_description': 'A notification type a user wants pushed to their subscribed browsers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_subscriptions', on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.CharField(unique=True, max_length=1000)),
                ('p256dh', fields.CharField(max_length=100)),
                ('auth', fields.CharField(max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'push_subscriptions', 'app': 'models', 'pk_attr': 'id', 'table_description': "One browser's Web Push endpoint and encryption keys, for the user who subscribed it."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='type',
            field=fields.CharEnumField(description='RESULTS_PUBLISHED: results_published\nRESULTS_CHANGED: results_changed\nLEAGUE_JOINED: league_joined\nLINEUP_LOCKED: lineup_locked\nRANK_CHANGED: rank_changed\nDEADLINE_SOON: deadline_soon', enum_type=NotificationType, max_length=20),
        ),
        ops.AddField(
            model_name='Notification',
            name='pushed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['pushed_at', 'id']),
        ),
        # Notifications made before push existed are not pushed now: mark them taken, so
        # the push worker starts with what comes next.
        ops.RunSQL(
            'UPDATE "notifications" SET "pushed_at" = "created_at"',
            reverse_sql="SELECT 1",
        ),
    ]

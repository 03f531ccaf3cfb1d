from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Each poll names the worker that ran it, and the one that closed it as abandoned when it
# never finished (its worker was killed mid-poll).


class Migration(migrations.Migration):
    dependencies = [('models', '0003_scores_without_breakdowns')]

    initial = False

    operations = [
        ops.AddField(
            model_name='FeedPoll',
            name='worker',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='FeedPoll',
            name='closed_by',
            field=fields.CharField(default='', max_length=100),
        ),
    ]

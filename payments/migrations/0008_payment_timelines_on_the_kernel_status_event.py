"""Top-up, payable and payout batch timelines derive from procurement.core's StatusEvent.

Their rows stay where they are: `reason` widens from varchar(255) to text and `created_at` takes
the base's default (now) instead of auto_now_add, with an index; every existing value is kept.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0007_payout_ledger_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payoutbatchevent',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='payoutbatchevent',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='supplierpayableevent',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='supplierpayableevent',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='topupevent',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='topupevent',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason'),
        ),
    ]

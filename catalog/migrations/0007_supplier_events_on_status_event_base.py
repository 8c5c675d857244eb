"""Supplier events take the kernel's StatusEvent shape: `created_at` gets its default."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_supplier_active_products_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="supplierevent",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="when"
            ),
        ),
    ]

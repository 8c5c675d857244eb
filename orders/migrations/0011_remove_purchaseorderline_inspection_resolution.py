"""The line's status (0009, filled by 0010) replaces the inspection/resolution pair."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_purchaseorderline_status_from_inspection")]

    operations = [
        migrations.RemoveField(model_name="purchaseorderline", name="inspection"),
        migrations.RemoveField(model_name="purchaseorderline", name="resolution"),
    ]

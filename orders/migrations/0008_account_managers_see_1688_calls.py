"""Account managers, who place purchase orders on 1688, see every request and answer."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions


def grant(apps, schema_editor):
    grant_group_permissions(
        apps, {"Account managers": ["orders.view_alibabacall", "orders.view_alibabaorder"]}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_alibaba_orders_and_call_log"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

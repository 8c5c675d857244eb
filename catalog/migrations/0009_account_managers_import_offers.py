"""Account managers import 1688 offers (the "import this offer" button) and read the log."""

from django.db import migrations

from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, grant_group_permissions

PERMISSIONS = {ACCOUNT_MANAGERS: ["catalog.import_offer", "catalog.view_offerimport"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_offer_import_keeps_partner_data"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

FINANCE_PERMISSIONS = {
    "Finance": [
        "payments.view_finance_reports",
        "payments.manage_payouts",
        "payments.view_supplierpayable",
        "payments.view_supplierpayableevent",
        "payments.view_payoutbatch",
        "payments.view_payoutline",
        "payments.view_payoutbatchevent",
        "payments.view_exportjob",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, FINANCE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_finance_payables_payouts_exports"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

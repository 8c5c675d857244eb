"""Account managers vet suppliers and curate the catalog."""

from django.db import migrations

from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, grant_group_permissions

PERMISSIONS = {
    ACCOUNT_MANAGERS: [
        "catalog.vet_supplier",
        *[
            f"catalog.{action}_{model}"
            for model in ("supplier", "category", "product", "productimage", "sku", "pricetier")
            for action in ("view", "add", "change")
        ],
        "catalog.delete_productimage",
        "catalog.delete_sku",
        "catalog.delete_pricetier",
        "catalog.view_supplierevent",
        "catalog.view_supplierperformance",
    ]
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_search_indexes_postgres"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

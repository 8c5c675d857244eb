"""The warehouse adds and reads inspection photos; account managers read them."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

PERMISSIONS = {
    "Warehouse": ["orders.view_inspectionphoto", "orders.add_inspectionphoto"],
    "Account managers": ["orders.view_inspectionphoto", "orders.view_purchaseorderline"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_purchase_order_receiving_inspection_payables")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

"""Account managers see the merchants' store connections and store orders (with the events
pushed to the stores) and may try a waiting store order again; pausing a connection stays with
whoever is given its change permission."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

STORES_GROUP_PERMISSIONS = {
    "Account managers": [
        "stores.view_storeconnection",
        "stores.view_storeorder",
        "stores.change_storeorder",
        "stores.view_trackingpush",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, STORES_GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0002_tracking_events_pushed_to_stores"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

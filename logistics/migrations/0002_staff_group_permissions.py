"""Warehouse staff receive, pack and ship; account managers edit channels and rate tables."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

LOGISTICS_GROUP_PERMISSIONS = {
    "Warehouse": [
        "logistics.view_warehouse",
        "logistics.view_address",
        "logistics.view_shippingchannel",
        "logistics.view_ratezone",
        "logistics.view_stockitem",
        "logistics.add_stockitem",
        "logistics.change_stockitem",
        "logistics.view_stockphoto",
        "logistics.add_stockphoto",
        "logistics.view_inboundparcel",
        "logistics.receive_inboundparcel",
        "logistics.view_parcel",
        "logistics.pack_parcel",
        "logistics.ship_parcel",
        "logistics.view_parcelevent",
        "logistics.view_trackingevent",
    ],
    "Account managers": [
        "logistics.view_warehouse",
        "logistics.view_address",
        "logistics.view_shippingchannel",
        "logistics.add_shippingchannel",
        "logistics.change_shippingchannel",
        "logistics.view_ratezone",
        "logistics.add_ratezone",
        "logistics.change_ratezone",
        "logistics.delete_ratezone",
        "logistics.view_stockitem",
        "logistics.view_stockphoto",
        "logistics.view_inboundparcel",
        "logistics.view_parcel",
        "logistics.view_parcelevent",
        "logistics.view_trackingevent",
        "logistics.view_freightcharge",
        "logistics.view_storagecharge",
    ],
    "Finance": [
        "logistics.view_parcel",
        "logistics.view_freightcharge",
        "logistics.view_storagecharge",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, LOGISTICS_GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_warehouses_addresses_channels_stock_parcels"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

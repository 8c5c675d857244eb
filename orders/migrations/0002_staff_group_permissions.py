"""Account managers route, place and quote; the warehouse receives and stocks; finance reads."""

from django.db import migrations

from procurement.accounts.staff_groups import grant_group_permissions

ORDERS_GROUP_PERMISSIONS = {
    "Account managers": [
        "orders.view_order",
        "orders.change_order",
        "orders.complete_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_purchaseorder",
        "orders.change_purchaseorder",
        "orders.route_purchaseorder",
        "orders.place_purchaseorder",
        "orders.ship_purchaseorder",
        "orders.cancel_purchaseorder",
        "orders.view_purchaseorderline",
        "orders.view_purchaseorderevent",
        "orders.view_sourcingrequest",
        "orders.change_sourcingrequest",
        "orders.quote_sourcingrequest",
        "orders.view_sourcingphoto",
        "orders.view_sourcingrequestevent",
        "orders.view_sourcingquote",
        "orders.add_sourcingquote",
        "orders.change_sourcingquote",
        "orders.view_sourcingquoteline",
        "orders.add_sourcingquoteline",
        "orders.change_sourcingquoteline",
        "orders.delete_sourcingquoteline",
        "orders.view_message",
        "orders.add_message",
    ],
    "Warehouse": [
        "orders.view_order",
        "orders.view_purchaseorder",
        "orders.change_purchaseorder",
        "orders.receive_purchaseorder",
        "orders.view_purchaseorderline",
        "orders.view_purchaseorderevent",
    ],
    "Finance": [
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_purchaseorder",
        "orders.view_purchaseorderline",
        "orders.view_purchaseorderevent",
    ],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, ORDERS_GROUP_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_carts_orders_purchase_orders_sourcing"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

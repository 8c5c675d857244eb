"""Goods stocked before stock items named their SKU get it from the purchase order line that
stocked them, so that store orders can ship them from stock."""

import importlib

from django.apps import apps

from logistics.models import StockItem
from orders.models import PurchaseOrderLine
from tests.logistics.factories import StockItemFactory
from tests.orders.factories import paid_order, product_with_skus

migration = importlib.import_module("orders.stores.migrations.0005_channel_rules_stock_allocation")


def test_stock_items_take_the_sku_of_the_line_that_stocked_them(owner, company, rates):
    product, skus = product_with_skus(moq=1)
    paid_order(owner, company, (product, {skus[0]: 2, skus[1]: 1}))
    lines = list(PurchaseOrderLine.objects.order_by("pk"))
    stocked = StockItemFactory(company=company, sku_reference="")
    named = StockItemFactory(company=company, sku_reference="sku:999")
    unrelated = StockItemFactory(company=company, sku_reference="")
    PurchaseOrderLine.objects.filter(pk=lines[0].pk).update(stock_item_id=stocked.pk)
    PurchaseOrderLine.objects.filter(pk=lines[1].pk).update(stock_item_id=named.pk)
    migration.stock_sku_references(apps, None)
    values = dict(StockItem.objects.values_list("pk", "sku_reference"))
    assert values[stocked.pk] == f"sku:{lines[0].sku_id}"
    assert values[named.pk] == "sku:999"  # already named: kept
    assert values[unrelated.pk] == ""

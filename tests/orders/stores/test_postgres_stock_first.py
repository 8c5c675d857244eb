"""Store orders racing for the same stock on PostgreSQL, with real threads and row locks: no
unit is ever reserved twice, the splits keep every unit, and whatever the stock lacks is
bought."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from logistics.models import Parcel, StockItem
from orders.stores import services
from orders.stores.adapters.shopify import order_from_webhook
from orders.stores.models import StoreOrder
from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.logistics.factories import StockItemFactory, WarehouseFactory, channel_with_zone
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates
from tests.orders.stores.conftest import SHOP, SHOP_SECRET, SHOP_TOKEN, shop_line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 4
IN_STOCK = 5
EACH = 2


def _race(target) -> list:
    barrier = threading.Barrier(THREADS)
    results: list = []

    def run(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_store_orders_at_once_never_reserve_the_same_units(shopify):
    seed_rates()
    company = CompanyFactory()
    owner = MembershipFactory(company=company, role=Role.OWNER).user
    fund_wallet(company, Decimal("500.00"))
    _product, skus = product_with_skus(moq=1)
    warehouse = WarehouseFactory()
    # Two rows of the same SKU, so that orders both take whole rows and split them.
    for quantity in (3, IN_STOCK - 3):
        StockItemFactory(
            company=company,
            warehouse=warehouse,
            product_reference=f"product:{skus[0].product_id}",
            sku_reference=f"sku:{skus[0].pk}",
            quantity=quantity,
            description=f"Mug x {quantity}",
            weight_kg=Decimal("0.300") * quantity,
        )
    store = services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="Race shop",
        shop=SHOP,
        access_key=SHOP_TOKEN,
        client_secret=SHOP_SECRET,
        shipping_channel=channel_with_zone(),
        auto_pay=True,
        auto_pay_limit=Decimal("400"),
    )
    orders = [shopify.create_order(SHOP, lines=[shop_line(skus[0], EACH)]) for _ in range(THREADS)]

    def take(index):
        return services.store_order_take(
            connection=store, data=order_from_webhook(orders[index])
        ).status

    results = _race(take)
    assert not [r for r in results if isinstance(r, Exception)], results
    store_orders = list(StoreOrder.objects.select_related("parcel", "order"))
    assert len(store_orders) == THREADS
    from_stock = sum(so.allocation[0]["from_stock"] for so in store_orders)
    purchased = sum(so.allocation[0]["purchased"] for so in store_orders)
    assert from_stock == IN_STOCK
    assert purchased == THREADS * EACH - IN_STOCK
    # Every unit is somewhere, once: the rows still sum to what was stocked, all reserved.
    items = list(StockItem.objects.filter(company=company))
    assert sum(item.quantity for item in items) == IN_STOCK
    assert all(item.status == StockItem.Status.RESERVED for item in items)
    for store_order in store_orders:
        row = store_order.allocation[0]
        if row["from_stock"]:
            reserved = sum(
                item.quantity for item in items if item.parcel_id == store_order.parcel_id
            )
            assert reserved == row["from_stock"]
        else:
            assert store_order.parcel is None
        if row["purchased"]:
            assert store_order.order.lines.get().quantity == row["purchased"]
        else:
            assert store_order.order is None
    assert Parcel.objects.count() == len({so.parcel_id for so in store_orders if so.parcel_id})

"""Beat: polling every active store, store orders following their portal orders."""

from orders import services as order_services
from orders.stores import tasks
from orders.stores.models import StoreConnection, StoreOrder
from tests.orders.stores.conftest import SHOP, SITE, shop_line, woo_line


def test_poll_reads_every_active_store_and_skips_paused_ones(
    shop_connection, woo_connection, shopify, woo, goods, wallet, owner
):
    _product, skus = goods
    shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    woo.create_order(SITE, lines=[woo_line(skus[1])])
    from orders.stores import services

    services.connection_pause(connection=woo_connection, actor=owner)
    assert tasks.stores_poll_due() == 1
    assert StoreOrder.objects.get().connection_id == shop_connection.pk
    services.connection_resume(
        connection=StoreConnection.objects.get(pk=woo_connection.pk), actor=owner
    )
    # The first poll after the pause reads what arrived meanwhile; Shopify's order is read
    # again (the poll looks back a little) and changes nothing.
    tasks.stores_poll_due()
    assert StoreOrder.objects.count() == 2


def test_an_outage_during_the_poll_is_recorded_and_the_next_poll_catches_up(
    shop_connection, shopify, goods, wallet
):
    _product, skus = goods
    shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    shopify.fail(SHOP, "server_error", times=10)
    assert tasks.stores_poll_due() == 0
    assert StoreConnection.objects.get(pk=shop_connection.pk).last_error
    shopify.shops[SHOP].failures.queue.clear()
    assert tasks.stores_poll_due() == 1
    assert StoreOrder.objects.count() == 1


def test_sync_moves_orders_paid_by_the_merchant(woo_connection, woo, goods, wallet, owner):
    _product, skus = goods
    woo.create_order(SITE, lines=[woo_line(skus[0])])
    tasks.stores_poll_due()
    store_order = StoreOrder.objects.get()
    assert store_order.status == StoreOrder.Status.AWAITING_APPROVAL
    order_services.order_pay(order=store_order.order, actor=owner)
    assert tasks.store_orders_sync_due() == 1
    store_order.refresh_from_db()
    assert store_order.status == StoreOrder.Status.PAID

"""A store order from the webhook to the tracking number in the store: auto-pay limits,
mapping, addresses we cannot ship to, cancellations before and after purchase, the parcel to
the end customer and the push (throttled first)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from logistics import services as logistics_services
from logistics.models import Parcel
from orders import services as order_services
from orders.models import CHECKLIST, Order
from orders.stores import services
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from payments import selectors as payments_selectors
from procurement.core.exceptions import DomainError
from tests.logistics.factories import WarehouseFactory
from tests.orders.stores.conftest import SHOP, SITE, shop_line, woo_line

SO = StoreOrder.Status
MEASURES = {
    "weight_kg": Decimal("0.4"),
    "length_cm": Decimal("10"),
    "width_cm": Decimal("10"),
    "height_cm": Decimal("10"),
}


def _receive(client, connection, body, headers):
    url = reverse("stores:webhook", args=[connection.webhook_token])
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    response = client.post(url, data=body, content_type="application/json", **extra)
    assert response.status_code == 200, response.content
    return response


def _shop_order(client, connection, shopify, lines, **kwargs):
    order = shopify.create_order(SHOP, lines=lines, **kwargs)
    _receive(client, connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    return order, StoreOrder.objects.get(external_id=str(order["id"]))


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency="USD")


def _set_limit(connection, limit, auto_pay=True):
    StoreConnection.objects.filter(pk=connection.pk).update(auto_pay=auto_pay, auto_pay_limit=limit)
    connection.refresh_from_db()


# --- auto-pay --------------------------------------------------------------------------------


def test_under_the_limit_is_paid_from_the_wallet(client, shop_connection, shopify, goods, wallet):
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.PAID
    assert store_order.order.charge_id is not None
    assert store_order.order.purchase_orders.count() == 1


def test_over_the_limit_waits_for_approval_with_the_reason(
    client, shop_connection, shopify, goods, wallet, company
):
    _set_limit(shop_connection, Decimal("1.00"))
    before = _balance(company)
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 5)])
    assert store_order.status == SO.AWAITING_APPROVAL
    assert "above your auto-pay limit" in store_order.reason
    assert store_order.order.status == Order.Status.AWAITING_PAYMENT
    assert _balance(company) == before
    # The merchant pays it as any order; the store order follows.
    order_services.order_pay(order=store_order.order, actor=shop_connection.created_by)
    store_order = services.store_order_sync(store_order=store_order)
    assert store_order.status == SO.PAID


def test_auto_pay_off_always_waits(client, shop_connection, shopify, goods, wallet):
    _set_limit(shop_connection, Decimal("500.00"), auto_pay=False)
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.AWAITING_APPROVAL
    assert store_order.reason == "Waiting for you to approve and pay it."


def test_an_empty_wallet_waits_with_the_reason(client, shop_connection, shopify, goods, company):
    from tests.orders.factories import seed_rates

    seed_rates()
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.AWAITING_APPROVAL
    assert store_order.reason.startswith("Not paid automatically")
    assert store_order.order.charge_id is None


# --- mapping and addresses -------------------------------------------------------------------


def test_unknown_variant_waits_for_mapping_then_goes_on(
    client, shop_connection, shopify, goods, wallet
):
    _product, skus = goods
    unknown = {
        "variant_id": 999001,
        "product_id": 5,
        "sku": "STORE-ONLY",
        "title": "Blue mug",
        "quantity": 2,
    }
    _order, store_order = _shop_order(
        client, shop_connection, shopify, [unknown, shop_line(skus[0])]
    )
    assert store_order.status == SO.WAITING_MAPPING
    assert "Blue mug" in store_order.reason
    assert store_order.order is None
    link = VariantLink.objects.get(external_variant_id="999001")
    assert not link.is_mapped
    # The variant with a portal SKU code as its store SKU was matched by itself.
    assert VariantLink.objects.get(store_sku=skus[0].code).sku == skus[0]
    with pytest.raises(DomainError):
        services.variant_link_map(link=link, sku_code="NO-SUCH-SKU")
    services.variant_link_map(link=link, sku_code=skus[1].code)
    store_order.refresh_from_db()
    assert store_order.status == SO.PAID
    lines = {line.sku_id: line.quantity for line in store_order.order.lines.all()}
    assert lines == {skus[0].pk: 1, skus[1].pk: 2}


def test_an_address_we_cannot_ship_to_is_held_with_the_reason(
    client, shop_connection, shopify, goods, wallet
):
    _product, skus = goods
    _order, store_order = _shop_order(
        client, shop_connection, shopify, [shop_line(skus[0])], address={"phone": "12"}
    )
    assert store_order.status == SO.HELD
    assert store_order.reason.startswith("We cannot ship to this address")
    assert not Order.objects.exists()


# --- cancellations ---------------------------------------------------------------------------


def test_cancelled_in_the_store_before_purchase_refunds_the_wallet(
    client, shop_connection, shopify, goods, wallet, company
):
    before = _balance(company)
    _product, skus = goods
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert _balance(company) < before
    shopify.cancel_order(SHOP, order["id"])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/cancelled", order["id"]))
    store_order.refresh_from_db()
    assert store_order.status == SO.CANCELLED
    assert store_order.order.status == Order.Status.REFUNDED
    assert _balance(company) == before


def test_cancelled_before_payment_cancels_the_portal_order(
    client, woo_connection, woo, goods, wallet
):
    _product, skus = goods
    order = woo.create_order(SITE, lines=[woo_line(skus[0])])
    _receive(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    woo.set_status(SITE, order["id"], "cancelled")
    _receive(client, woo_connection, *woo.webhook(SITE, "order.updated", order["id"]))
    store_order = StoreOrder.objects.get()
    assert store_order.status == SO.CANCELLED
    assert store_order.order.status == Order.Status.CANCELLED


def test_cancelled_after_purchase_goes_to_the_merchant(
    client, shop_connection, shopify, goods, wallet, account_manager, owner
):
    _product, skus = goods
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    po = store_order.order.purchase_orders.get()
    order_services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-1",
        actual_total_cny=po.expected_total_cny,
    )
    services.store_order_sync(store_order=store_order)
    shopify.cancel_order(SHOP, order["id"])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/cancelled", order["id"]))
    store_order.refresh_from_db()
    assert store_order.status == SO.CANCEL_REQUESTED
    assert store_order.order.status == Order.Status.PURCHASING
    with pytest.raises(DomainError):
        services.store_order_cancel_decide(store_order=store_order, actor=owner, cancel=True)
    store_order = services.store_order_cancel_decide(
        store_order=store_order, actor=owner, cancel=False
    )
    assert store_order.status == SO.PURCHASED


# --- the whole way to the tracking number ------------------------------------------------------


def test_bought_received_packed_shipped_and_pushed_after_a_throttle(
    client,
    shop_connection,
    shopify,
    goods,
    wallet,
    account_manager,
    warehouse_staff,
    django_capture_on_commit_callbacks,
):
    product, skus = goods
    # Customs need an HS code before the parcel can be packed; stock copies it from the product.
    product.hs_code = "392410"
    product.save(update_fields=["hs_code"])
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    po = store_order.order.purchase_orders.get()
    order_services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-2",
        actual_total_cny=po.expected_total_cny,
    )
    order_services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF99")
    assert services.store_order_sync(store_order=store_order).status == SO.PURCHASED
    order_services.purchase_order_receive(
        po=po, actor=warehouse_staff, warehouse=WarehouseFactory()
    )
    for line in po.lines.all():
        order_services.purchase_order_line_inspect(
            line=line,
            actor=warehouse_staff,
            checklist=dict.fromkeys(CHECKLIST, True),
            photos=[],
            **MEASURES,
        )
    store_order = services.store_order_sync(store_order=store_order)
    assert store_order.status == SO.PACKED, store_order.reason
    parcel = Parcel.objects.get(pk=store_order.parcel_id)
    assert parcel.status == Parcel.Status.PACKING_REQUESTED
    assert parcel.destination_id == store_order.order.destination_id
    # The neutral packing slip prints the store's order number.
    assert parcel.customer_reference == store_order.number
    logistics_services.parcel_pack(parcel=parcel, actor=warehouse_staff, **MEASURES)
    shopify.fail(SHOP, "throttle", operation="FulfillmentCreate")
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(
            parcel=parcel, actor=warehouse_staff, tracking_number="SF 1234 5678"
        )
    store_order.refresh_from_db()
    assert store_order.status == SO.TRACKING_PUSHED
    assert store_order.push_error == ""
    fulfillment = shopify.shops[SHOP].fulfillments[str(order["id"])][0]
    assert fulfillment["trackingInfo"]["number"] == "SF12345678"
    assert fulfillment["trackingInfo"]["company"] == parcel.channel.carrier
    assert "SF12345678" in fulfillment["trackingInfo"]["url"]
    assert fulfillment["notifyCustomer"] is True
    assert shopify.shops[SHOP].calls.count("FulfillmentCreate") == 2


def _shipped(store_order, warehouse_staff):
    """A shipped store order without the long road: parcel packed and shipped by staff."""
    from logistics.models import StockItem
    from orders.stores.services.status import move
    from tests.logistics.factories import StockItemFactory

    order = store_order.order
    item = StockItemFactory(company=store_order.company, weight_kg=Decimal("0.3"))
    parcel = logistics_services.parcel_create(
        company=store_order.company,
        actor=warehouse_staff,
        destination=order.destination,
        channel=order.shipping_channel,
        item_ids=[item.pk],
    )
    logistics_services.parcel_request_packing(parcel=parcel, actor=warehouse_staff)
    logistics_services.parcel_pack(parcel=parcel, actor=warehouse_staff, **MEASURES)
    from django.db import transaction

    with transaction.atomic():
        for to in (SO.PAID, SO.PURCHASED, SO.PACKED):
            if store_order.can_become(to):
                move(store_order, to, changes={"parcel": parcel} if to == SO.PACKED else None)
    assert StockItem.objects.filter(parcel=parcel).exists()
    return parcel


def test_woocommerce_gets_completed_and_a_customer_note_after_a_429(
    client, woo_connection, woo, goods, wallet, warehouse_staff, django_capture_on_commit_callbacks
):
    _product, skus = goods
    order = woo.create_order(SITE, lines=[woo_line(skus[0])])
    _receive(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    store_order = StoreOrder.objects.get()
    parcel = _shipped(store_order, warehouse_staff)
    woo.fail(SITE, "throttle", operation="PUT orders")
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number="YT1")
    store_order.refresh_from_db()
    assert store_order.status == SO.TRACKING_PUSHED
    site = woo.site(SITE)
    assert site.orders[str(order["id"])]["status"] == "completed"
    note = site.notes[str(order["id"])][0]
    assert note["customer_note"] is True
    assert "YT1" in note["note"]


def test_a_store_outage_keeps_the_push_error_visible_and_retry_pushes(
    client,
    shop_connection,
    shopify,
    goods,
    wallet,
    warehouse_staff,
    django_capture_on_commit_callbacks,
):
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    parcel = _shipped(store_order, warehouse_staff)
    shopify.fail(SHOP, "server_error", times=10)
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number="A1")
    store_order.refresh_from_db()
    assert store_order.status == SO.SHIPPED
    assert store_order.push_error
    shopify.shops[SHOP].failures.queue.clear()
    store_order = services.store_order_retry(store_order=store_order)
    assert store_order.status == SO.TRACKING_PUSHED

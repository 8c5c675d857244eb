"""Carrier events after the first fulfillment reach the store: Shopify fulfillment events,
WooCommerce customer notes and the status completed on delivery; once per event, retried
after throttling, and skipped cleanly where the platform has no place for them."""

from datetime import UTC, datetime

import pytest

from logistics import services as logistics_services
from logistics.adapters.tracking import CarrierEvent, TrackingUpdate
from orders.stores import services, tasks
from orders.stores.models import StoreOrder, TrackingPush
from tests.orders.stores.conftest import SHOP, SITE, shop_line, woo_line
from tests.orders.stores.test_lifecycle import _receive, _shipped

SO = StoreOrder.Status
TP = TrackingPush.Status


def _ship(store_order, warehouse_staff, number, capture):
    parcel = _shipped(store_order, warehouse_staff)
    with capture(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number=number)
    store_order.refresh_from_db()
    assert store_order.status == SO.TRACKING_PUSHED
    parcel.refresh_from_db()
    return parcel


def _carrier(parcel, capture, *events):
    """The carrier's push of `events` ((id, kind, description), ...) for the parcel."""
    update = TrackingUpdate(
        parcel.tracking_number,
        f"parcel:{parcel.pk}",
        tuple(
            CarrierEvent(
                external_id=event_id,
                kind=kind,
                occurred_at=datetime(2026, 12, 1, 8 + n, 0, tzinfo=UTC),
                description=description,
                location="Berlin",
            )
            for n, (event_id, kind, description) in enumerate(events)
        ),
    )
    with capture(execute=True):
        return logistics_services.tracking_events_record(
            provider=parcel.channel.tracking, update=update
        )


@pytest.fixture
def shopify_shipped(client, shop_connection, shopify, goods, wallet, warehouse_staff):
    def make(capture):
        _product, skus = goods
        order = shopify.create_order(SHOP, lines=[shop_line(skus[0])])
        _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
        store_order = StoreOrder.objects.get(external_id=str(order["id"]))
        parcel = _ship(store_order, warehouse_staff, "SF777", capture)
        return order, store_order, parcel

    return make


def _fulfillment(shopify, order):
    return shopify.shops[SHOP].fulfillments[str(order["id"])][0]


def test_shopify_gets_one_fulfillment_event_per_carrier_event(
    shopify_shipped, shopify, django_capture_on_commit_callbacks
):
    order, store_order, parcel = shopify_shipped(django_capture_on_commit_callbacks)

    _carrier(
        parcel,
        django_capture_on_commit_callbacks,
        ("e1", "in_transit", "Departed the hub"),
        ("e2", "out_for_delivery", "With the courier"),
        ("e3", "delivered", "Delivered to the customer"),
    )

    events = _fulfillment(shopify, order)["events"]
    assert [e["status"] for e in events] == ["IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]
    assert events[2]["message"].startswith("Delivered: Delivered to the customer (Berlin)")
    assert "SF777" in events[2]["message"]
    assert events[0]["happenedAt"] == "2026-12-01T08:00:00Z"
    pushes = TrackingPush.objects.filter(store_order=store_order)
    assert {p.status for p in pushes} == {TP.PUSHED}
    assert all(p.external_id.startswith("gid://shopify/FulfillmentEvent/") for p in pushes)


def test_a_replayed_carrier_push_is_not_pushed_twice(
    shopify_shipped, shopify, django_capture_on_commit_callbacks
):
    order, _store_order, parcel = shopify_shipped(django_capture_on_commit_callbacks)
    _carrier(parcel, django_capture_on_commit_callbacks, ("e1", "out_for_delivery", "Courier"))

    again = _carrier(
        parcel, django_capture_on_commit_callbacks, ("e1", "out_for_delivery", "Courier")
    )
    # The same event reaching the stores side twice (the outbox delivers at least once).
    event = TrackingPush.objects.get().event_id
    tasks.tracking_event(parcel.pk, event, "out_for_delivery")

    assert again == 0
    assert len(_fulfillment(shopify, order)["events"]) == 1
    assert shopify.shops[SHOP].calls.count("FulfillmentEventCreate") == 1
    assert TrackingPush.objects.count() == 1


def test_a_throttled_first_attempt_is_retried_with_backoff(
    shopify_shipped, shopify, django_capture_on_commit_callbacks
):
    order, _store_order, parcel = shopify_shipped(django_capture_on_commit_callbacks)
    shopify.fail(SHOP, "throttle", operation="FulfillmentEventCreate")

    _carrier(parcel, django_capture_on_commit_callbacks, ("e9", "delivered", "Delivered"))

    assert shopify.shops[SHOP].calls.count("FulfillmentEventCreate") == 2
    assert [e["status"] for e in _fulfillment(shopify, order)["events"]] == ["DELIVERED"]
    push = TrackingPush.objects.get()
    assert (push.status, push.error) == (TP.PUSHED, "")


def test_an_outage_keeps_the_event_pending_and_the_beat_pushes_it(
    shopify_shipped, shopify, django_capture_on_commit_callbacks
):
    order, _store_order, parcel = shopify_shipped(django_capture_on_commit_callbacks)
    shopify.fail(SHOP, "server_error", times=10, operation="FulfillmentEventCreate")

    _carrier(parcel, django_capture_on_commit_callbacks, ("e5", "failed_attempt", "No one home"))

    push = TrackingPush.objects.get()
    assert push.status == TP.PENDING
    assert push.error
    assert push.attempts == 1
    shopify.shops[SHOP].failures.queue.clear()
    tasks.store_orders_sync_due()
    push.refresh_from_db()
    assert push.status == TP.PUSHED
    assert [e["status"] for e in _fulfillment(shopify, order)["events"]] == ["ATTEMPTED_DELIVERY"]


def test_events_the_platform_has_no_place_for_are_skipped_without_a_call(
    client, woo_connection, woo, goods, wallet, warehouse_staff, django_capture_on_commit_callbacks
):
    _product, skus = goods
    order = woo.create_order(SITE, lines=[woo_line(skus[0])])
    _receive(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    store_order = StoreOrder.objects.get()
    parcel = _ship(store_order, warehouse_staff, "YT55", django_capture_on_commit_callbacks)
    site = woo.site(SITE)
    calls = len(site.calls)

    _carrier(
        parcel,
        django_capture_on_commit_callbacks,
        ("w1", "info", "Label created"),
        ("w2", "in_transit", "Departed"),
    )

    assert len(site.calls) == calls
    assert {p.status for p in TrackingPush.objects.all()} == {TP.SKIPPED}
    assert len(site.notes[str(order["id"])]) == 1  # the tracking note of the fulfillment only


def test_woocommerce_delivery_is_a_customer_note_and_completed(
    client, woo_connection, woo, goods, wallet, warehouse_staff, django_capture_on_commit_callbacks
):
    _product, skus = goods
    order = woo.create_order(SITE, lines=[woo_line(skus[0])])
    _receive(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    store_order = StoreOrder.objects.get()
    parcel = _ship(store_order, warehouse_staff, "YT56", django_capture_on_commit_callbacks)
    woo.set_status(SITE, order["id"], "processing")  # the merchant reopened it meanwhile
    woo.fail(SITE, "throttle", operation="POST orders")

    _carrier(parcel, django_capture_on_commit_callbacks, ("w3", "delivered", "Delivered"))

    site = woo.site(SITE)
    assert site.orders[str(order["id"])]["status"] == "completed"
    note = site.notes[str(order["id"])][-1]
    assert note["customer_note"] is True
    assert note["note"].startswith("Delivered: Delivered (Berlin)")
    assert TrackingPush.objects.get().status == TP.PUSHED


def test_events_before_the_first_fulfillment_follow_it(
    client,
    shop_connection,
    shopify,
    goods,
    wallet,
    warehouse_staff,
    django_capture_on_commit_callbacks,
):
    _product, skus = goods
    order = shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    store_order = StoreOrder.objects.get()
    parcel = _shipped(store_order, warehouse_staff)
    shopify.fail(SHOP, "server_error", times=10, operation="FulfillmentCreate")
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number="Q1")
    parcel.refresh_from_db()
    _carrier(parcel, django_capture_on_commit_callbacks, ("q1", "in_transit", "Departed"))
    assert TrackingPush.objects.get().status == TP.PENDING
    assert "FulfillmentEventCreate" not in shopify.shops[SHOP].calls

    shopify.shops[SHOP].failures.queue.clear()
    services.store_order_retry(store_order=store_order)

    assert [e["status"] for e in _fulfillment(shopify, order)["events"]] == ["IN_TRANSIT"]
    assert TrackingPush.objects.get().status == TP.PUSHED


def test_another_parcels_events_touch_no_store_order(
    shopify_shipped, shopify, django_capture_on_commit_callbacks
):
    _order, _store_order, _parcel = shopify_shipped(django_capture_on_commit_callbacks)

    assert services.store_tracking_event_take(parcel_id=999999, event_id=1, kind="delivered") == []
    assert not TrackingPush.objects.exists()


def test_a_paused_store_keeps_its_events_until_it_is_active_again(
    shopify_shipped, shopify, owner, django_capture_on_commit_callbacks
):
    order, store_order, parcel = shopify_shipped(django_capture_on_commit_callbacks)
    services.connection_pause(connection=store_order.connection, actor=owner)

    _carrier(parcel, django_capture_on_commit_callbacks, ("p1", "delivered", "Delivered"))
    tasks.store_orders_sync_due()

    push = TrackingPush.objects.get()
    assert (push.status, push.attempts) == (TP.PENDING, 1)
    services.connection_resume(connection=store_order.connection, actor=owner)
    tasks.store_orders_sync_due()
    push.refresh_from_db()
    assert push.status == TP.PUSHED
    assert [e["status"] for e in _fulfillment(shopify, order)["events"]] == ["DELIVERED"]

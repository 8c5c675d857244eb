"""1688's order events (pushed messages and the buyerView poll) move the purchase order."""

import pytest
from django.urls import reverse

from catalog.adapters.fake1688 import gateway as fake1688
from catalog.models import Product
from orders import services
from orders.models import AlibabaCall, AlibabaOrder, Order, PurchaseOrder
from orders.services import alibaba
from orders.tasks import alibaba_sync, alibaba_sync_due
from tests.logistics.factories import WarehouseFactory
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
URL = "/orders/alibaba/messages/"


@pytest.fixture
def platform(settings, monkeypatch):
    settings.ALIBABA_OPEN_FAKE = True
    monkeypatch.setattr(alibaba, "_spec_id", lambda sku: f"spec-{sku.code}" if sku else "")
    WarehouseFactory(phone="0755-88990077")
    return fake1688.PLATFORM


@pytest.fixture
def placed(buyer, company, rates, platform, account_manager, django_capture_on_commit_callbacks):
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    Product.objects.filter(pk=shirt.pk).update(
        source=Product.Source.ALIBABA_1688, source_offer_id="610947572360"
    )
    po = paid_order(buyer, company, (shirt, {red: 30, blue: 20})).purchase_orders.get()
    for line in po.lines.select_related("sku"):
        platform.offer("610947572360", f"spec-{line.sku.code}", price_cny=line.unit_price_cny)
    platform.freight_cny = po.domestic_freight_cny
    with django_capture_on_commit_callbacks(execute=True):
        services.alibaba_place_request(po=po, actor=account_manager)
    po.refresh_from_db()
    assert po.status == PS.PLACED
    (order_id,) = platform.orders
    return po, order_id


def _push(client, platform, order_id, kind, capture, msg_id=1):
    with capture(execute=True):
        return client.post(URL, platform.push(order_id, kind, msg_id))


def test_a_shipment_pushed_by_1688_shows_as_expected_inbound(
    client, placed, platform, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.pay(order_id)
    _push(
        client, platform, order_id, "ORDER_BUYER_VIEW_ORDER_PAY", django_capture_on_commit_callbacks
    )
    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert "Paid on 1688" in po.events.last().reason

    platform.ship(order_id, carrier="中通快递", bill_no="73500012345678")
    response = _push(
        client,
        platform,
        order_id,
        "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS",
        django_capture_on_commit_callbacks,
        msg_id=2,
    )

    assert response.status_code == 200
    po.refresh_from_db()
    assert po.status == PS.SHIPPED
    assert po.tracking_number == "73500012345678"
    assert po.alibaba.carrier == "中通快递"
    assert po.events.last().actor is None
    assert services.selectors.purchase_order_find(query="73500012345678").get() == po


def test_the_same_event_twice_moves_the_purchase_order_once(
    client, placed, platform, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.ship(order_id, carrier="圆通速递", bill_no="YT001")
    for _ in range(2):
        _push(
            client,
            platform,
            order_id,
            "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS",
            django_capture_on_commit_callbacks,
        )

    po.refresh_from_db()
    assert po.status == PS.SHIPPED
    assert po.events.filter(to_status=PS.SHIPPED).count() == 1
    assert AlibabaCall.objects.filter(api__startswith="push").count() == 2


def test_an_old_event_arriving_late_changes_nothing(
    client, placed, platform, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.ship(order_id, carrier="圆通速递", bill_no="YT001")
    _push(
        client,
        platform,
        order_id,
        "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS",
        django_capture_on_commit_callbacks,
        2,
    )

    # The payment message, sent before the shipment, arrives after it.
    _push(
        client,
        platform,
        order_id,
        "ORDER_BUYER_VIEW_ORDER_PAY",
        django_capture_on_commit_callbacks,
        1,
    )

    po.refresh_from_db()
    assert po.status == PS.SHIPPED
    assert po.events.filter(to_status=PS.SHIPPED).count() == 1


def test_an_order_closed_on_1688_cancels_and_refunds_the_purchase_order(
    client, placed, platform, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.close(order_id)

    _push(
        client,
        platform,
        order_id,
        "ORDER_BUYER_VIEW_ORDER_SELLER_CLOSE",
        django_capture_on_commit_callbacks,
    )

    po.refresh_from_db()
    assert po.status == PS.CANCELLED
    po.order.refresh_from_db()
    assert po.order.status == Order.Status.REFUNDED  # the last purchase order: all given back
    assert "Cancelled on 1688" in po.events.last().reason


def test_a_refund_on_1688_says_so(client, placed, platform, django_capture_on_commit_callbacks):
    po, order_id = placed
    platform.close(order_id, refunded=True)

    _push(
        client,
        platform,
        order_id,
        "ORDER_BUYER_VIEW_ORDER_BUYER_REFUND_IN_SALES",
        django_capture_on_commit_callbacks,
    )

    po.refresh_from_db()
    assert po.status == PS.CANCELLED
    assert "Refunded on 1688" in po.events.last().reason


def test_a_message_with_a_bad_signature_is_refused_and_changes_nothing(client, placed, platform):
    po, order_id = placed
    platform.ship(order_id, carrier="圆通速递", bill_no="YT001")
    form = platform.push(order_id, "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS")
    form["_aop_signature"] = "0" * 40

    response = client.post(URL, form)

    assert response.status_code == 400
    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert not AlibabaCall.objects.filter(api__startswith="push").exists()


def test_a_message_about_another_order_is_acknowledged(client, placed, platform):
    response = client.post(URL, platform.push("999", "ORDER_BUYER_VIEW_ORDER_PAY"))

    assert response.status_code == 200
    assert response.json() == {"received": True, "ours": False}


def test_the_poll_on_beat_catches_a_lost_message(
    placed, platform, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.ship(order_id, carrier="中通快递", bill_no="735000999")

    with django_capture_on_commit_callbacks(execute=True):
        assert alibaba_sync_due() == 1

    po.refresh_from_db()
    assert po.status == PS.SHIPPED
    assert alibaba_sync(po.pk) == "waitbuyerreceive"  # again: nothing more happens
    assert po.events.filter(to_status=PS.SHIPPED).count() == 1


def test_a_purchase_order_not_placed_on_1688_is_not_polled(placed, platform):
    po, _order_id = placed
    AlibabaOrder.objects.filter(purchase_order=po).update(status=AlibabaOrder.Status.FAILED)

    assert alibaba_sync_due() == 0


def test_the_admin_shows_the_carrier_to_warehouse_staff(
    client, placed, platform, warehouse_staff, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.ship(order_id, carrier="中通快递", bill_no="735000777")
    with django_capture_on_commit_callbacks(execute=True):
        alibaba_sync_due()
    client.force_login(warehouse_staff)

    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))

    assert "Expected inbound" in page.text
    assert "中通快递 735000777" in page.text


def test_the_domestic_parcel_and_its_latest_trace_show_as_expected_inbound(
    client, placed, platform, warehouse_staff, django_capture_on_commit_callbacks
):
    po, order_id = placed
    platform.ship(order_id, carrier="中通快递", bill_no="735000888", remark="[义乌市]已揽收")
    platform.trace(order_id, remark="[广州市]到达广州转运中心", at="2026-12-04 06:12:00")

    with django_capture_on_commit_callbacks(execute=True):
        assert alibaba_sync_due() == 1

    po.refresh_from_db()
    (parcel,) = po.alibaba.parcels
    assert parcel["carrier"] == "中通快递"
    assert parcel["tracking_number"] == "735000888"
    assert parcel["status"] == "TRANSPORT"
    assert parcel["latest"] == "[广州市]到达广州转运中心"
    assert parcel["steps"][0]["remark"] == "[义乌市]已揽收"
    assert platform.api_calls("alibaba.trade.getLogisticsTraceInfo.buyerView") == 1

    # Shipped and not yet received: beat keeps reading the trace.
    platform.trace(order_id, remark="[广州市]派件中", at="2026-12-04 09:30:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert alibaba_sync_due() == 1
    po.refresh_from_db()
    assert po.alibaba.latest_parcel["latest"] == "[广州市]派件中"
    assert po.events.filter(to_status=PS.SHIPPED).count() == 1

    client.force_login(warehouse_staff)
    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    assert "中通快递 735000888" in page.text
    assert "[广州市]派件中" in page.text
    queue = client.get(reverse("admin:orders_purchaseorder_changelist"))
    assert "735000888" in queue.text
    assert "[广州市]派件中" in queue.text


def test_an_unshipped_order_reads_no_trace(placed, platform, django_capture_on_commit_callbacks):
    po, order_id = placed
    platform.pay(order_id)

    with django_capture_on_commit_callbacks(execute=True):
        alibaba_sync_due()

    po.refresh_from_db()
    assert po.alibaba.parcels == []
    assert platform.api_calls("alibaba.trade.getLogisticsInfos.buyerView") == 0

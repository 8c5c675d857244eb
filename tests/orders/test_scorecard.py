"""The supplier scorecard fed from purchase orders: on-time dispatch, defects, cancellations."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.models import SupplierPerformance
from catalog.selectors import supplier_scorecard
from orders import services
from orders.models import CHECKLIST, PurchaseOrder
from tests.logistics.factories import WarehouseFactory, image_upload
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
MEASURES = {
    "weight_kg": Decimal("3"),
    "length_cm": Decimal("30"),
    "width_cm": Decimal("20"),
    "height_cm": Decimal("10"),
}


def _placed(po, actor, *, days_ago=0):
    services.purchase_order_place(
        po=po, actor=actor, supplier_order_no="1688", actual_total_cny=po.expected_total_cny
    )
    po.refresh_from_db()
    if days_ago:
        PurchaseOrder.objects.filter(pk=po.pk).update(
            placed_at=po.placed_at - timedelta(days=days_ago)
        )
        po.refresh_from_db()
    return po


@pytest.fixture
def supplier(buyer, company, rates, account_manager, warehouse_staff, settings, tmp_path):
    """Three purchase orders with one supplier:

    1. shipped a day after placing; red x30 passes, blue x20 fails inspection;
    2. shipped five days after placing (late: the default promise is three days);
    3. cancelled after placing.
    And a fourth never placed (cancelled while pending): it does not count.
    """
    settings.MEDIA_ROOT = tmp_path
    supplier = SupplierFactory()
    shirt, (red, blue) = product_with_skus(supplier=supplier)

    first = paid_order(buyer, company, (shirt, {red: 30, blue: 20})).purchase_orders.get()
    _placed(first, account_manager, days_ago=1)
    services.purchase_order_ship(po=first, actor=account_manager, tracking_number="SF1")
    services.purchase_order_receive(po=first, actor=warehouse_staff, warehouse=WarehouseFactory())
    line_red, line_blue = first.lines.order_by("pk")
    services.purchase_order_line_inspect(
        line=line_red, actor=warehouse_staff, checklist=dict.fromkeys(CHECKLIST, True), **MEASURES
    )
    services.purchase_order_line_inspect(
        line=line_blue,
        actor=warehouse_staff,
        checklist={**dict.fromkeys(CHECKLIST, True), "colour_size": False},
        photos=[image_upload()],
        **MEASURES,
    )

    second = paid_order(buyer, company, (shirt, {red: 50})).purchase_orders.get()
    _placed(second, account_manager, days_ago=5)
    services.purchase_order_ship(po=second, actor=account_manager, tracking_number="SF2")

    third = paid_order(buyer, company, (shirt, {red: 50})).purchase_orders.get()
    _placed(third, account_manager)
    services.purchase_order_cancel(po=third, actor=account_manager, reason="supplier closed")

    fourth = paid_order(buyer, company, (shirt, {red: 50})).purchase_orders.get()
    services.purchase_order_cancel(po=fourth, actor=account_manager, reason="changed mind")
    return supplier


def test_catalog_scorecard_is_fed_from_the_same_purchase_orders(supplier):
    card = supplier_scorecard(supplier)

    assert SupplierPerformance.objects.filter(supplier=supplier).count() == 3
    assert card.orders_count == 3
    assert card.on_time_dispatch_rate == Decimal("0.5000")
    assert card.defect_rate == Decimal("0.4000")
    assert card.cancellation_rate == Decimal("0.3333")
    supplier.refresh_from_db()
    assert supplier.rating == card.rating is not None


@pytest.fixture
def dispatch_within_a_week(settings):
    settings.ORDERS_SUPPLIER_DISPATCH_DAYS = 7


def test_the_promised_dispatch_time_is_configurable(dispatch_within_a_week, supplier):
    # Shipped five days after placement: late against the default 3 days, on time against 7.
    assert supplier_scorecard(supplier).on_time_dispatch_rate == Decimal("1.0000")

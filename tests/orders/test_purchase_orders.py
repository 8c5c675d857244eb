from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders import exceptions, services
from orders.models import Order, PurchaseOrder
from payments import selectors as payments_selectors
from payments.models import LedgerTransaction
from tests.orders.factories import (
    SupplierFactory,
    paid_order,
    product_with_skus,
)

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status


@pytest.fixture
def order(buyer, company, rates):
    a, b = SupplierFactory(), SupplierFactory()
    shirt, (red, blue) = product_with_skus(supplier=a)
    mug, (white,) = product_with_skus(supplier=b, skus=1)
    return paid_order(
        buyer, company, (shirt, {red: 30, blue: 20}), (mug, {white: 10}), balance="500.00"
    )


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency="USD")


def _pos(order):
    return list(order.purchase_orders.order_by("pk"))


def _admin(client, user):
    client.force_login(user)
    return client


# --- routing in the admin --------------------------------------------------------------------


def test_queue_lists_purchase_orders_with_their_actions(client, order, account_manager):
    response = _admin(client, account_manager).get(
        reverse("admin:orders_purchaseorder_changelist") + "?status__exact=pending"
    )

    assert response.status_code == 200
    assert "Record placement" in response.text
    assert "Change supplier" in response.text


def test_account_manager_changes_the_supplier(client, order, account_manager):
    po = _pos(order)[0]
    other = SupplierFactory()

    response = _admin(client, account_manager).post(
        reverse("admin:orders_purchaseorder_change_supplier", args=[po.pk]),
        {"supplier": other.pk, "reason": "faster"},
    )

    assert response.status_code == 302
    po.refresh_from_db()
    assert po.supplier == other
    event = po.events.last()
    assert event.actor == account_manager
    assert "Supplier changed" in event.reason


def test_split_moves_lines_to_a_new_purchase_order(order, account_manager):
    po = _pos(order)[0]
    line = po.lines.order_by("pk").first()
    other = SupplierFactory()

    new = services.purchase_order_split(
        po=po, line_ids=[line.pk], supplier=other, actor=account_manager
    )

    assert new.supplier == other
    assert list(new.lines.all()) == [line]
    assert po.lines.count() == 1
    assert order.purchase_orders.count() == 3
    assert new.events.get().to_status == PS.PENDING


def test_split_refuses_moving_every_line(order, account_manager):
    po = _pos(order)[0]
    with pytest.raises(exceptions.OrdersError):
        services.purchase_order_split(
            po=po,
            line_ids=list(po.lines.values_list("pk", flat=True)),
            supplier=SupplierFactory(),
            actor=account_manager,
        )


def test_warehouse_staff_cannot_place_or_route(client, order, warehouse_staff):
    po = _pos(order)[0]
    client = _admin(client, warehouse_staff)

    for name in ("place", "change_supplier", "split", "cancel"):
        url = reverse(f"admin:orders_purchaseorder_{name}", args=[po.pk])
        assert client.get(url).status_code == 403, name
    with pytest.raises(exceptions.PermissionRefused):
        services.purchase_order_place(
            po=po, actor=warehouse_staff, supplier_order_no="1", actual_total_cny=Decimal("1")
        )


def test_placement_at_the_expected_price_moves_no_money(client, order, account_manager, company):
    po = _pos(order)[0]
    before = _balance(company)

    _admin(client, account_manager).post(
        reverse("admin:orders_purchaseorder_place", args=[po.pk]),
        {
            "supplier_order_no": "168812345",
            "actual_total_cny": str(po.expected_total_cny),
            "handling": "charge",
        },
    )

    po.refresh_from_db()
    order.refresh_from_db()
    assert po.status == PS.PLACED
    assert po.supplier_order_no == "168812345"
    assert _balance(company) == before
    assert order.status == Order.Status.PARTLY_PURCHASED


def test_higher_price_is_charged_to_the_wallet(order, account_manager, company):
    po = _pos(order)[0]
    before = _balance(company)

    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-1",
        actual_total_cny=po.expected_total_cny + Decimal("20.00"),
    )

    po.refresh_from_db()
    assert po.price_difference.kind == "price_difference"
    assert _balance(company) < before
    assert po.price_difference.quote.amount == Decimal("20.00")


def test_lower_price_is_refunded_at_the_checkout_rate(order, account_manager, company):
    po = _pos(order)[0]
    before = _balance(company)
    rate = order.quote.client_rate

    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-2",
        actual_total_cny=po.expected_total_cny - Decimal("14.00"),
    )

    assert _balance(company) - before == (Decimal("14.00") / rate).quantize(Decimal("0.01"))


def test_higher_price_put_to_the_merchant_who_accepts(
    client, buyer, order, account_manager, company, django_capture_on_commit_callbacks
):
    po = _pos(order)[0]
    before = _balance(company)
    with django_capture_on_commit_callbacks(execute=True):
        services.purchase_order_place(
            po=po,
            actor=account_manager,
            supplier_order_no="1688-3",
            actual_total_cny=po.expected_total_cny + Decimal("35.00"),
            handling=services.DifferenceHandling.ASK,
        )
    po.refresh_from_db()
    assert po.status == PS.PRICE_CHANGED
    assert _balance(company) == before
    assert "Price changed" in mail.outbox[-1].subject

    client.force_login(buyer)
    page = client.get(reverse("orders:order-detail", args=[order.pk]))
    assert "Accept the new price" in page.text
    client.post(reverse("orders:po-accept-price", args=[po.pk]))

    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert po.actual_total_cny == po.expected_total_cny + Decimal("35.00")
    assert _balance(company) < before


def test_higher_price_declined_by_the_merchant_cancels_and_refunds(
    client, buyer, order, account_manager, company
):
    po = _pos(order)[0]
    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="",
        actual_total_cny=po.expected_total_cny + Decimal("35.00"),
        handling=services.DifferenceHandling.ASK,
    )
    before = _balance(company)
    expected_back = (po.expected_total_cny / order.quote.client_rate).quantize(Decimal("0.01"))

    client.force_login(buyer)
    client.post(reverse("orders:po-cancel", args=[po.pk]))

    po.refresh_from_db()
    order.refresh_from_db()
    assert po.status == PS.CANCELLED
    assert _balance(company) - before == expected_back
    assert order.status == Order.Status.PAID  # the other purchase order is still to buy


def test_merchant_cannot_cancel_a_pending_purchase_order(client, buyer, order):
    po = _pos(order)[0]
    client.force_login(buyer)

    client.post(reverse("orders:po-cancel", args=[po.pk]))

    po.refresh_from_db()
    assert po.status == PS.PENDING


# --- cancelling ------------------------------------------------------------------------------


def test_cancel_before_purchase_refunds_everything(client, buyer, order, company):
    client.force_login(buyer)

    client.post(reverse("orders:order-cancel", args=[order.pk]))

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert _balance(company) == Decimal("500.00")
    assert {po.status for po in order.purchase_orders.all()} == {PS.CANCELLED}


def test_after_purchase_the_order_cannot_be_cancelled_whole(order, buyer, account_manager):
    po = _pos(order)[0]
    services.purchase_order_place(
        po=po, actor=account_manager, supplier_order_no="1", actual_total_cny=po.expected_total_cny
    )

    with pytest.raises(exceptions.InvalidTransition):
        services.order_cancel(order=order, actor=buyer)


def test_refunds_follow_purchase_order_states(order, account_manager, company):
    placed, pending = _pos(order)
    services.purchase_order_place(
        po=placed,
        actor=account_manager,
        supplier_order_no="1",
        actual_total_cny=placed.expected_total_cny,
    )
    before = _balance(company)

    services.purchase_order_cancel(po=pending, actor=account_manager, reason="supplier closed")

    order.refresh_from_db()
    rate = order.quote.client_rate
    assert _balance(company) - before == (pending.expected_total_cny / rate).quantize(
        Decimal("0.01")
    )
    assert order.status == Order.Status.PURCHASING

    # The placed one is cancelled too (supplier cancelled): the rest, fee included, comes back.
    services.purchase_order_cancel(po=placed, actor=account_manager, reason="supplier cancelled")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert _balance(company) == Decimal("500.00")


# --- through to the warehouse ---------------------------------------------------------------


def test_shipment_receipt_inspection_and_stock(
    order, account_manager, warehouse_staff, company, settings, tmp_path
):
    from logistics.models import StockItem
    from orders.models import CHECKLIST
    from tests.logistics.factories import WarehouseFactory

    settings.MEDIA_ROOT = tmp_path
    warehouse = WarehouseFactory()
    for po in _pos(order):
        services.purchase_order_place(
            po=po,
            actor=account_manager,
            supplier_order_no="1",
            actual_total_cny=po.expected_total_cny,
        )
        services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF123")
        services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=warehouse)
        for line in po.lines.order_by("pk"):
            services.purchase_order_line_inspect(
                line=line,
                actor=warehouse_staff,
                checklist=dict.fromkeys(CHECKLIST, True),
                weight_kg=Decimal("6"),
                length_cm=Decimal("40"),
                width_cm=Decimal("30"),
                height_cm=Decimal("20"),
            )

    order.refresh_from_db()
    assert order.status == Order.Status.IN_WAREHOUSE
    items = StockItem.objects.filter(source_reference=_pos(order)[0].reference)
    assert sorted(item.quantity for item in items) == [20, 30]
    assert {item.company for item in items} == {company}
    statuses = list(order.events.values_list("to_status", flat=True))
    assert statuses == [
        "awaiting_payment",
        "paid",
        "partly_purchased",
        "purchasing",
        "in_warehouse",
    ]


def test_out_of_stock_tells_the_merchant(
    order, account_manager, buyer, django_capture_on_commit_callbacks
):
    po = _pos(order)[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.purchase_order_out_of_stock(po=po, actor=account_manager, reason="sold out")

    assert buyer.email in mail.outbox[-1].to
    assert "Out of stock" in mail.outbox[-1].subject


def test_every_money_movement_is_recorded_once(order, account_manager, company):
    po = _pos(order)[0]
    actual = po.expected_total_cny + Decimal("5.00")
    services.purchase_order_place(
        po=po, actor=account_manager, supplier_order_no="1", actual_total_cny=actual
    )
    with pytest.raises(exceptions.InvalidTransition):
        services.purchase_order_place(
            po=po, actor=account_manager, supplier_order_no="1", actual_total_cny=actual
        )
    assert LedgerTransaction.objects.filter(kind="price_difference").count() == 1

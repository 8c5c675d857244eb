"""Supplier payables (payments.payouts) recorded, adjusted and cancelled from purchase orders."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import exceptions, services
from orders.models import CHECKLIST, PurchaseOrder
from payments import payouts
from payments.models import SupplierPayable
from procurement.accounts.staff_groups import FINANCE
from tests.logistics.factories import WarehouseFactory, image_upload
from tests.orders.factories import (
    SupplierFactory,
    membership,
    paid_order,
    product_with_skus,
    staff_in,
)

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
BANK = ("义乌市测试有限公司", "6222 0202 0000 1234", "中国工商银行义乌分行")


def _give_bank_details(supplier) -> None:
    supplier.payee_name, supplier.bank_account, supplier.bank_name = BANK
    supplier.save(update_fields=["payee_name", "bank_account", "bank_name"])


@pytest.fixture
def bank_details():
    """Every supplier gets the same bank details (SupplierFactory leaves them empty)."""
    from catalog.models import Supplier

    for supplier in Supplier.objects.all():
        _give_bank_details(supplier)


@pytest.fixture
def order(buyer, company, rates):
    a, b = SupplierFactory(), SupplierFactory()
    shirt, (red, blue) = product_with_skus(supplier=a)
    mug, (white,) = product_with_skus(supplier=b, skus=1)
    return paid_order(
        buyer, company, (shirt, {red: 30, blue: 20}), (mug, {white: 10}), balance="500.00"
    )


def _place(po, actor, extra=Decimal("0.00")):
    return services.purchase_order_place(
        po=po,
        actor=actor,
        supplier_order_no="1688-77",
        actual_total_cny=po.expected_total_cny + extra,
    )


def _first_po(order):
    return order.purchase_orders.order_by("pk").first()


def test_placing_records_the_payable_once(order, account_manager, bank_details, company):
    po = _first_po(order)

    _place(po, account_manager, Decimal("12.00"))

    po.refresh_from_db()
    payable = SupplierPayable.objects.get(reference=po.reference)
    assert po.payable_recorded
    assert payable.order_reference == f"order:{order.pk}"
    assert payable.supplier_reference == f"supplier:{po.supplier_id}"
    assert payable.company == company
    assert payable.amount_cny == po.actual_total_cny
    assert payable.freight_cny == po.domestic_freight_cny
    assert (payable.payee_name, payable.payee_account, payable.payee_bank) == BANK
    assert payable.idempotency_key == f"{po.reference}:placed"

    with pytest.raises(exceptions.InvalidTransition):
        _place(po, account_manager)
    assert services.purchase_order_payable_record(po=po, actor=account_manager) is not None
    assert SupplierPayable.objects.filter(reference=po.reference).count() == 1


def test_a_price_accepted_by_the_merchant_records_the_new_price(
    order, account_manager, buyer, company, bank_details
):
    po = _first_po(order)
    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-78",
        actual_total_cny=po.expected_total_cny + Decimal("30.00"),
        handling=services.DifferenceHandling.ASK,
    )
    assert not SupplierPayable.objects.exists()

    services.purchase_order_price_accept(po=po, actor=buyer, membership=membership(buyer, company))

    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.amount_cny == po.expected_total_cny + Decimal("30.00")


def test_without_bank_details_the_placement_stands_and_finance_is_told(
    client, order, account_manager, monkeypatch
):
    po = _first_po(order)

    _place(po, account_manager)

    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert not po.payable_recorded
    assert not SupplierPayable.objects.exists()
    assert "NOT recorded" in po.events.last().reason

    # Once the bank details exist, the admin action records it.
    _give_bank_details(po.supplier)
    client.force_login(account_manager)
    url = reverse("admin:orders_purchaseorder_payable", args=[po.pk])
    assert client.post(url).status_code == 302
    po.refresh_from_db()
    assert po.payable_recorded
    assert SupplierPayable.objects.filter(reference=po.reference).count() == 1


def test_cancelling_a_placed_purchase_order_cancels_the_payable(
    order, account_manager, bank_details
):
    po = _first_po(order)
    _place(po, account_manager)

    services.purchase_order_cancel(po=po, actor=account_manager, reason="supplier closed")

    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.status == SupplierPayable.Status.CANCELLED


def test_a_payable_already_exported_is_left_to_finance(order, account_manager, bank_details):
    po = _first_po(order)
    _place(po, account_manager)
    finance = staff_in(FINANCE)
    batch = payouts.payout_batch_create(actor=finance)
    payouts.payout_batch_export(batch=batch, actor=finance)

    services.purchase_order_cancel(po=po, actor=account_manager, reason="supplier cancelled")

    po.refresh_from_db()
    assert po.status == PS.CANCELLED
    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.status == SupplierPayable.Status.BATCHED
    assert "Finance must settle it" in po.events.last().reason


def test_a_line_returned_to_the_supplier_reduces_the_payable(
    order, account_manager, warehouse_staff, buyer, company, bank_details, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    po = _first_po(order)
    _place(po, account_manager)
    services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF1")
    services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=WarehouseFactory())
    red, blue = po.lines.order_by("pk")
    measures = {
        "weight_kg": Decimal("3"),
        "length_cm": Decimal("30"),
        "width_cm": Decimal("20"),
        "height_cm": Decimal("10"),
    }
    services.purchase_order_line_inspect(
        line=red, actor=warehouse_staff, checklist=dict.fromkeys(CHECKLIST, True), **measures
    )
    services.purchase_order_line_inspect(
        line=blue,
        actor=warehouse_staff,
        checklist={**dict.fromkeys(CHECKLIST, True), "function": False},
        photos=[image_upload()],
        **measures,
    )

    services.purchase_order_line_return(
        line=blue, actor=buyer, membership=membership(buyer, company)
    )

    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.amount_cny == po.expected_total_cny - blue.line_total_cny
    assert payable.events.filter(amount_before__isnull=False).count() == 1


def test_returning_the_whole_purchase_order_cancels_the_payable(
    order, account_manager, warehouse_staff, bank_details
):
    po = _first_po(order)
    _place(po, account_manager)
    services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF2")
    services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=WarehouseFactory())

    services.purchase_order_return(po=po, actor=warehouse_staff, reason="wrong goods")

    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.status == SupplierPayable.Status.CANCELLED


def test_a_later_price_correction_adjusts_the_payable(order, account_manager, bank_details):
    po = _first_po(order)
    _place(po, account_manager)
    new_price = po.expected_total_cny - Decimal("5.00")

    services.purchase_order_supplier_price_correct(
        po=po, actor=account_manager, actual_total_cny=new_price, reason="freight rebate"
    )
    services.purchase_order_supplier_price_correct(
        po=po, actor=account_manager, actual_total_cny=new_price, reason="again"
    )

    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.amount_cny == new_price
    assert payable.events.filter(amount_before__isnull=False).count() == 1
    po.refresh_from_db()
    assert "freight rebate" in po.events.last().reason


def test_a_price_correction_after_export_is_left_to_finance(
    client, order, account_manager, bank_details
):
    po = _first_po(order)
    _place(po, account_manager)
    finance = staff_in(FINANCE)
    payouts.payout_batch_export(batch=payouts.payout_batch_create(actor=finance), actor=finance)

    client.force_login(account_manager)
    response = client.post(
        reverse("admin:orders_purchaseorder_correct_price", args=[po.pk]),
        {"actual_total_cny": "100.00", "reason": "typo"},
    )

    assert response.status_code == 302
    payable = SupplierPayable.objects.get(reference=po.reference)
    assert payable.amount_cny == po.expected_total_cny
    assert "Finance must settle it" in po.events.last().reason


def test_warehouse_staff_cannot_correct_prices(order, account_manager, warehouse_staff):
    po = _first_po(order)
    _place(po, account_manager)
    with pytest.raises(exceptions.PermissionRefused):
        services.purchase_order_supplier_price_correct(
            po=po, actor=warehouse_staff, actual_total_cny=Decimal("1.00"), reason="x"
        )

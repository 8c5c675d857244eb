"""A partial split by 1688 (some orders made, some offers refused): the admin shows it, and an
account manager cancels the part made or places the missing part; never a double order, no
money moved until the whole purchase order is recorded."""

import pytest
from django.urls import reverse

from catalog.adapters.fake1688 import gateway as fake1688
from catalog.models import Product
from orders import exceptions, services
from orders.models import AlibabaOrder, PurchaseOrder
from orders.services import alibaba
from orders.tasks import alibaba_complete
from payments.models import LedgerTransaction
from tests.logistics.factories import WarehouseFactory
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
AS = AlibabaOrder.Status
OFFER = "610947572360"


@pytest.fixture
def platform(settings, monkeypatch):
    settings.ALIBABA_OPEN_FAKE = True
    monkeypatch.setattr(alibaba, "_spec_id", lambda sku: f"spec-{sku.code}" if sku else "")
    WarehouseFactory(phone="0755-88990077")
    return fake1688.PLATFORM


@pytest.fixture
def partial(buyer, company, rates, platform, account_manager, django_capture_on_commit_callbacks):
    """A purchase order of two SKUs that 1688 split: the first made, the second refused."""
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    Product.objects.filter(pk=shirt.pk).update(
        source=Product.Source.ALIBABA_1688, source_offer_id=OFFER
    )
    po = paid_order(buyer, company, (shirt, {red: 30, blue: 20})).purchase_orders.get()
    for line in po.lines.select_related("sku"):
        platform.offer(OFFER, f"spec-{line.sku.code}", price_cny=line.unit_price_cny)
    # One order per part, each with its freight: together what the merchant paid.
    platform.freight_cny = po.domestic_freight_cny / 2
    platform.partial = True
    with django_capture_on_commit_callbacks(execute=True):
        services.alibaba_place_request(po=po, actor=account_manager)
    po.refresh_from_db()
    assert po.alibaba.status == AS.PARTIAL
    return po


def _run(capture, call, **kwargs):
    with capture(execute=True):
        call(**kwargs)
    po = kwargs["po"]
    po.refresh_from_db()
    po.alibaba.refresh_from_db()
    return po


def test_the_admin_shows_the_split_and_offers_cancel_or_complete(
    client, partial, account_manager, platform
):
    client.force_login(account_manager)

    page = client.get(reverse("admin:orders_purchaseorder_change", args=[partial.pk]))

    assert "Refused by 1688" in page.text
    assert "500_004" in page.text
    assert partial.alibaba.order_ids[0] in page.text
    assert "Cancel the part made on 1688" in page.text
    assert "Place the missing part on 1688" in page.text
    assert "Place on 1688" not in page.text


def test_placing_the_missing_part_records_every_order_once(
    partial, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.partial = False
    first = partial.alibaba.order_ids[0]

    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_complete_request,
        po=partial,
        actor=account_manager,
    )

    link = po.alibaba
    assert link.status == AS.PLACED
    assert link.order_ids[0] == first
    assert len(link.order_ids) == 2
    assert po.status == PS.PLACED
    assert po.supplier_order_no == ",".join(link.order_ids)
    assert po.actual_total_cny == po.expected_total_cny
    assert po.price_difference is None
    assert len(platform.orders) == 2
    sent = [f for api, f in platform.calls if api == "alibaba.trade.createCrossOrder"][-1]
    assert sent["outOrderId"] == f"PO-{po.pk}-rest1"
    assert f"spec-{po.lines.order_by('pk').last().sku.code}" in sent["cargoParamList"]
    assert alibaba_complete(po.pk) == AS.PLACED  # a repeated task orders nothing more
    assert len(platform.orders) == 2


def test_a_timeout_on_the_missing_part_then_a_retry_never_orders_it_twice(
    partial, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.partial = False
    platform.fail("alibaba.trade.createCrossOrder", "timeout_after")

    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_complete_request,
        po=partial,
        actor=account_manager,
    )
    assert po.alibaba.status == AS.PARTIAL
    assert po.status == PS.PENDING
    assert "did not place the missing part" in po.events.last().reason
    assert len(platform.orders) == 2  # 1688 made it; we did not hear

    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_complete_request,
        po=po,
        actor=account_manager,
    )

    assert po.alibaba.status == AS.PLACED
    assert len(platform.orders) == 2
    assert po.supplier_order_no == ",".join(platform.orders)
    # The partial first try and the lost one: the retry found the rest in the order list.
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 2
    assert po.alibaba.look_up_since is None


def test_cancelling_the_part_made_leaves_nothing_ordered_and_moves_no_money(
    partial, account_manager, platform, django_capture_on_commit_callbacks
):
    (made,) = partial.alibaba.order_ids
    money_before = LedgerTransaction.objects.count()

    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_cancel_request,
        po=partial,
        actor=account_manager,
    )

    link = po.alibaba
    assert link.status == AS.FAILED
    assert platform.order(made).trade_status == "cancel"
    assert link.cancelled_order_ids == [made]
    assert link.order_ids == []
    assert link.out_order_id == f"PO-{po.pk}-1"
    assert po.status == PS.PENDING
    assert LedgerTransaction.objects.count() == money_before
    assert "Cancelled on 1688" in po.events.last().reason

    # Placed again, the whole order goes out under the new id: a new order, not the cancelled one.
    platform.partial = False
    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_place_request,
        po=po,
        actor=account_manager,
    )
    assert po.alibaba.status == AS.PLACED
    assert made not in po.alibaba.order_ids
    assert platform.api_calls("alibaba.trade.cancel") == 1


def test_a_cancel_1688_refuses_keeps_the_split_and_says_why(
    partial, account_manager, platform, django_capture_on_commit_callbacks
):
    (made,) = partial.alibaba.order_ids
    platform.pay(made)  # paid meanwhile: a buyer cannot cancel it any more

    po = _run(
        django_capture_on_commit_callbacks,
        services.alibaba_cancel_request,
        po=partial,
        actor=account_manager,
    )

    assert po.alibaba.status == AS.PARTIAL
    assert po.alibaba.order_ids == [made]
    assert po.alibaba.error_code == "TRADE_STATUS_ERROR"
    assert "did not cancel" in po.events.last().reason


def test_only_a_partial_split_can_be_cancelled_or_completed(
    buyer, company, rates, platform, account_manager
):
    shirt, (red,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    Product.objects.filter(pk=shirt.pk).update(
        source=Product.Source.ALIBABA_1688, source_offer_id=OFFER
    )
    po = paid_order(buyer, company, (shirt, {red: 30})).purchase_orders.get()

    with pytest.raises(exceptions.InvalidTransition):
        services.alibaba_cancel_request(po=po, actor=account_manager)
    with pytest.raises(exceptions.InvalidTransition):
        services.alibaba_complete_request(po=po, actor=account_manager)


def test_warehouse_staff_may_not_cancel_on_1688(partial, warehouse_staff, client):
    with pytest.raises(exceptions.PermissionRefused):
        services.alibaba_cancel_request(po=partial, actor=warehouse_staff)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_cancel_1688", args=[partial.pk])
    assert client.post(url).status_code == 403

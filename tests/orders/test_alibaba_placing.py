"""Previewing and placing purchase orders on 1688 from the admin, against the local fake."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.adapters.fake1688 import gateway as fake1688
from catalog.models import Product
from orders import exceptions, services
from orders.models import AlibabaCall, AlibabaOrder, PurchaseOrder
from orders.services import alibaba
from orders.tasks import alibaba_place
from payments.models import LedgerTransaction
from tests.logistics.factories import WarehouseFactory
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
AS = AlibabaOrder.Status


@pytest.fixture
def platform(settings, monkeypatch):
    settings.ALIBABA_OPEN_FAKE = True
    # The offer importer keeps 1688's specId on the SKU; here each SKU has one.
    monkeypatch.setattr(alibaba, "_spec_id", lambda sku: f"spec-{sku.code}" if sku else "")
    WarehouseFactory(phone="0755-88990077")
    return fake1688.PLATFORM


def _offer(product, offer_id):
    Product.objects.filter(pk=product.pk).update(
        source=Product.Source.ALIBABA_1688, source_offer_id=offer_id
    )


@pytest.fixture
def po(buyer, company, rates, platform):
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    _offer(shirt, "610947572360")
    order = paid_order(buyer, company, (shirt, {red: 30, blue: 20}), balance="500.00")
    po = order.purchase_orders.get()
    # The supplier's 1688 prices equal what the merchant paid: no difference unless a test says.
    for line in po.lines.select_related("sku"):
        platform.offer("610947572360", f"spec-{line.sku.code}", price_cny=line.unit_price_cny)
    platform.freight_cny = po.domestic_freight_cny
    return po


def _raise_prices(platform, po, by):
    for line in po.lines.select_related("sku"):
        platform.offer("610947572360", f"spec-{line.sku.code}", price_cny=line.unit_price_cny + by)


def _place(po, user, django_capture_on_commit_callbacks, handling="charge"):
    with django_capture_on_commit_callbacks(execute=True):
        services.alibaba_place_request(po=po, actor=user, handling=handling)
    po.refresh_from_db()
    return AlibabaOrder.objects.get(purchase_order=po)


def test_preview_asks_1688_and_shows_its_prices(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.alibaba_preview_request(po=po, actor=account_manager)

    link = AlibabaOrder.objects.get(purchase_order=po)
    assert link.status == AS.PREVIEWED
    assert Decimal(link.preview["total_cny"]) == po.expected_total_cny
    assert link.out_order_id == f"PO-{po.pk}"
    po.refresh_from_db()
    assert po.status == PS.PENDING
    assert "1688 preview" in po.events.last().reason
    assert platform.orders == {}


def test_placing_records_the_1688_order_through_the_place_service(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    (order_id,) = platform.orders
    assert link.status == AS.PLACED
    assert link.order_ids == [order_id]
    assert po.status == PS.PLACED
    assert po.supplier_order_no == order_id
    assert po.actual_total_cny == po.expected_total_cny
    assert link.freight_cny == po.domestic_freight_cny
    assert po.price_difference is None
    sent = platform.calls[-1][1]
    assert sent["outOrderId"] == f"PO-{po.pk}"
    assert '"specId"' in sent["cargoParamList"]


def test_a_higher_price_goes_through_the_price_difference_flow(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    _raise_prices(platform, po, Decimal("1.00"))

    _place(po, account_manager, django_capture_on_commit_callbacks)

    assert po.status == PS.PLACED
    assert po.actual_total_cny == po.expected_total_cny + 50
    assert isinstance(po.price_difference, LedgerTransaction)


def test_a_higher_price_may_be_put_to_the_merchant(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    _raise_prices(platform, po, Decimal("1.00"))

    link = _place(po, account_manager, django_capture_on_commit_callbacks, handling="ask")

    assert link.status == AS.PLACED
    assert po.status == PS.PRICE_CHANGED
    assert po.proposed_total_cny == po.expected_total_cny + 50


def test_a_retry_after_a_timeout_never_creates_a_second_order(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.fail("alibaba.trade.createCrossOrder", "timeout_after")

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.UNKNOWN
    assert po.status == PS.PENDING
    assert "did not confirm" in po.events.last().reason
    assert not LedgerTransaction.objects.filter(memo__contains="Price difference").exists()

    assert link.look_up_since is not None

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    (order_id,) = platform.orders
    assert link.status == AS.PLACED
    assert link.attempts == 2
    assert link.look_up_since is None
    assert po.status == PS.PLACED
    assert po.supplier_order_no == order_id
    # Found in the buyer's order list, not placed again.
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 1
    assert platform.api_calls("alibaba.trade.getBuyerOrderList") == 1
    assert any("earlier try whose answer was lost" in e.reason for e in po.events.all())


def test_a_retry_after_a_timeout_that_made_nothing_places_the_order_once(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.fail("alibaba.trade.createCrossOrder", "timeout")

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.UNKNOWN
    assert platform.orders == {}

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    (order_id,) = platform.orders
    assert link.status == AS.PLACED
    assert po.supplier_order_no == order_id
    assert platform.api_calls("alibaba.trade.getBuyerOrderList") == 1


def test_an_unreadable_order_list_keeps_the_outcome_unknown_and_orders_nothing_more(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.fail("alibaba.trade.createCrossOrder", "timeout_after")
    link = _place(po, account_manager, django_capture_on_commit_callbacks)
    since = link.look_up_since
    platform.fail("alibaba.trade.getBuyerOrderList", *["system_error"] * 4)

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.UNKNOWN
    assert link.look_up_since == since  # the window still starts at the first try
    assert len(platform.orders) == 1
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 1
    assert po.status == PS.PENDING

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.PLACED
    assert len(platform.orders) == 1


@pytest.mark.parametrize("code", ["500_004", "500_005", "500_001"])
def test_a_refusal_leaves_the_purchase_order_pending_and_says_why(
    po, account_manager, platform, django_capture_on_commit_callbacks, code
):
    platform.fail("alibaba.trade.createCrossOrder", code)

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.FAILED
    assert link.error_code == code
    assert po.status == PS.PENDING
    assert po.events.last().reason.startswith("1688 refused the order")
    assert platform.orders == {}
    assert link.may_place
    assert link.may_preview


def test_a_partial_split_is_shown_and_never_recorded(
    buyer, company, rates, platform, account_manager, django_capture_on_commit_callbacks
):
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    _offer(shirt, "610947572360")
    order = paid_order(buyer, company, (shirt, {red: 30, blue: 20}), balance="500.00")
    po = order.purchase_orders.get()
    platform.partial = True

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.PARTIAL
    assert len(link.order_ids) == 1
    assert po.status == PS.PENDING
    assert po.price_difference is None
    assert "Cancel those orders on 1688" in po.events.last().reason
    assert not link.may_place


def test_a_split_records_every_order_number_and_the_sum(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    platform.split_orders = True
    platform.freight_cny = po.domestic_freight_cny / 2

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert len(link.order_ids) == 2
    assert po.supplier_order_no == ",".join(link.order_ids)
    assert po.actual_total_cny == po.expected_total_cny


def test_an_order_made_but_not_recorded_is_recorded_by_placing_again(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    _raise_prices(platform, po, Decimal("100.00"))  # more than the wallet holds

    link = _place(po, account_manager, django_capture_on_commit_callbacks)

    assert link.status == AS.CREATED
    assert po.status == PS.PENDING
    assert "not recorded here" in po.events.last().reason

    link = _place(po, account_manager, django_capture_on_commit_callbacks, handling="ask")

    assert len(platform.orders) == 1
    assert link.status == AS.PLACED
    assert po.status == PS.PRICE_CHANGED
    # Recorded from what the first try made: 1688 was not asked again.
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 1


def test_a_repeated_task_calls_1688_once(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    _place(po, account_manager, django_capture_on_commit_callbacks)

    assert alibaba_place(po.pk) == AS.PLACED
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 1


def test_placing_twice_at_once_is_refused(po, account_manager, platform):
    services.alibaba_place_request(po=po, actor=account_manager)

    with pytest.raises(exceptions.InvalidTransition):
        services.alibaba_place_request(po=po, actor=account_manager)


def test_a_product_not_from_1688_is_refused_before_anything_is_sent(
    buyer, company, rates, platform, account_manager
):
    mug, (white,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    po = paid_order(buyer, company, (mug, {white: 10})).purchase_orders.get()

    with pytest.raises(exceptions.OrdersError, match="not an offer imported from 1688"):
        services.alibaba_place_request(po=po, actor=account_manager)
    assert platform.calls == []


def test_a_sku_without_spec_id_is_refused(po, account_manager, monkeypatch, platform):
    monkeypatch.setattr(alibaba, "_spec_id", lambda sku: "")

    with pytest.raises(exceptions.OrdersError, match="no 1688 spec id"):
        services.alibaba_place_request(po=po, actor=account_manager)


def test_warehouse_staff_may_not_place(po, warehouse_staff):
    with pytest.raises(exceptions.PermissionRefused):
        services.alibaba_place_request(po=po, actor=warehouse_staff)


def test_every_call_is_logged_with_secrets_masked(
    po, account_manager, platform, django_capture_on_commit_callbacks
):
    _place(po, account_manager, django_capture_on_commit_callbacks)

    calls = list(AlibabaCall.objects.filter(purchase_order=po).order_by("pk"))
    assert [c.api for c in calls] == ["system.oauth2.getToken", "alibaba.trade.createCrossOrder"]
    assert all(c.request.get("access_token", "***") == "***" for c in calls)
    assert fake1688.APP_SECRET not in str([c.request for c in calls])


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_offers_preview_and_place_to_account_managers(
    client, po, account_manager, platform, django_capture_on_commit_callbacks
):
    client.force_login(account_manager)
    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    assert "Preview on 1688" in page.text
    assert "Place on 1688" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:orders_purchaseorder_preview_1688", args=[po.pk]))
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:orders_purchaseorder_place_1688", args=[po.pk]), {"handling": "charge"}
        )
    assert response.status_code == 302

    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert po.supplier_order_no in page.text
    assert "alibaba.trade.createCrossOrder" in page.text
    assert fake1688.APP_SECRET not in page.text
    assert reverse("admin:orders_purchaseorder_place_1688", args=[po.pk]) not in page.text


def test_the_admin_buttons_need_the_place_permission(client, po, warehouse_staff):
    client.force_login(warehouse_staff)
    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))

    assert "Place on 1688" not in page.text
    response = client.post(reverse("admin:orders_purchaseorder_place_1688", args=[po.pk]))
    assert response.status_code == 403


def test_without_credentials_the_admin_says_1688_is_not_configured(
    client, po, account_manager, settings
):
    settings.ALIBABA_OPEN_FAKE = False
    settings.ALIBABA_OPEN_APP_KEY = ""
    client.force_login(account_manager)

    page = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))

    assert "Not configured" in page.text
    assert "Place on 1688" not in page.text
    assert "Record placement" in page.text
    with pytest.raises(Exception, match="not configured"):
        services.alibaba_place_request(po=po, actor=account_manager)

"""Receiving and inspecting purchase orders line by line: counts, checklist, photos, stock,
and the merchant's decision on failed lines (accept as is, return, replace)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from logistics.models import StockItem
from orders import exceptions, selectors, services
from orders.models import CHECKLIST, Order, PurchaseOrder, PurchaseOrderLine
from payments import selectors as payments_selectors
from tests.logistics.factories import WarehouseFactory, image_upload
from tests.orders.factories import SupplierFactory, membership, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
ALL_OK = dict.fromkeys(CHECKLIST, True)
MEASURES = {
    "weight_kg": Decimal("5.5"),
    "length_cm": Decimal("40"),
    "width_cm": Decimal("30"),
    "height_cm": Decimal("20"),
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def order(buyer, company, rates):
    """One supplier, two lines: red x30 and blue x20 (¥8 each, the 50+ tier)."""
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    return paid_order(buyer, company, (shirt, {red: 30, blue: 20}), balance="500.00")


@pytest.fixture
def po(order, account_manager):
    po = order.purchase_orders.get()
    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-9",
        actual_total_cny=po.expected_total_cny,
    )
    services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF1234567")
    po.refresh_from_db()
    return po


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


def _lines(po):
    return list(po.lines.order_by("pk"))


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency="USD")


def _inspect(line, actor, *, ok=True, photos=(), **checks):
    checklist = {**ALL_OK, **checks} if ok else {**ALL_OK, "damage": False, **checks}
    return services.purchase_order_line_inspect(
        line=line, actor=actor, checklist=checklist, photos=list(photos), **MEASURES
    )


def _received(po, warehouse_staff, warehouse, counts=None):
    services.purchase_order_receive(
        po=po, actor=warehouse_staff, warehouse=warehouse, counts=counts or {}
    )
    po.refresh_from_db()
    return po


# --- finding and counting --------------------------------------------------------------------


def test_staff_find_a_purchase_order_by_tracking_or_po_number(po):
    assert list(selectors.purchase_order_find(query=" sf1234567 ")) == [po]
    assert list(selectors.purchase_order_find(query=f"PO-{po.pk}")) == [po]
    assert list(selectors.purchase_order_find(query="1688-9")) == [po]
    assert not selectors.purchase_order_find(query="nothing").exists()


def test_admin_search_finds_by_tracking_number(client, po, warehouse_staff):
    client.force_login(warehouse_staff)
    response = client.get(reverse("admin:orders_purchaseorder_changelist") + "?q=SF1234567")
    assert response.status_code == 200
    assert "Receive and count" in response.text
    assert f"PO-{po.pk}" in response.text


def test_receiving_counts_each_line(po, warehouse_staff, warehouse):
    red, blue = _lines(po)

    _received(po, warehouse_staff, warehouse, {red.pk: 28})

    red.refresh_from_db()
    blue.refresh_from_db()
    assert (red.received_quantity, blue.received_quantity) == (28, 20)
    assert po.status == PS.RECEIVED
    assert po.warehouse == warehouse
    assert "28/30" in po.events.last().reason


def test_a_count_above_the_order_is_refused(po, warehouse_staff, warehouse):
    red, _blue = _lines(po)
    with pytest.raises(exceptions.OrdersError):
        services.purchase_order_receive(
            po=po, actor=warehouse_staff, warehouse=warehouse, counts={red.pk: 31}
        )
    po.refresh_from_db()
    assert po.status == PS.SHIPPED


def test_receive_page_in_the_admin(client, po, warehouse_staff, warehouse):
    red, blue = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_receive", args=[po.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url, {"warehouse": warehouse.pk, f"count_{red.pk}": 30, f"count_{blue.pk}": 19}
    )

    assert response.status_code == 302
    blue.refresh_from_db()
    assert blue.received_quantity == 19


def test_the_bin_given_at_receiving_is_where_the_stock_items_start(
    client, po, warehouse_staff, warehouse
):
    red, blue = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_receive", args=[po.pk])
    response = client.post(
        url,
        {
            "warehouse": warehouse.pk,
            f"count_{red.pk}": 30,
            f"count_{blue.pk}": 20,
            "bin_location": " b 07 1 ",
        },
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.bin_location == "B-07-1"

    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff)

    bins = set(
        StockItem.objects.filter(source_reference=po.reference).values_list(
            "bin_location", flat=True
        )
    )
    assert bins == {"B-07-1"}


def test_a_malformed_bin_receives_nothing(client, po, warehouse_staff, warehouse):
    red, blue = _lines(po)
    with pytest.raises(exceptions.OrdersError) as refused:
        services.purchase_order_receive(
            po=po, actor=warehouse_staff, warehouse=warehouse, bin_location="B/07"
        )
    assert refused.value.field == "bin_location"
    po.refresh_from_db()
    assert po.status == PS.SHIPPED
    assert po.bin_location == ""

    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_receive", args=[po.pk])
    page = client.post(
        url,
        {
            "warehouse": warehouse.pk,
            f"count_{red.pk}": 30,
            f"count_{blue.pk}": 20,
            "bin_location": "B/07",
        },
    )
    assert page.status_code == 200
    assert "A bin is letters and digits" in page.content.decode()
    po.refresh_from_db()
    assert po.status == PS.SHIPPED


def test_account_managers_cannot_receive(po, account_manager, warehouse):
    with pytest.raises(exceptions.PermissionRefused):
        services.purchase_order_receive(po=po, actor=account_manager, warehouse=warehouse)


# --- inspection paths ------------------------------------------------------------------------


def test_every_line_passes_and_is_stocked_with_its_photos(po, warehouse_staff, warehouse, company):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)

    _inspect(red, warehouse_staff, photos=[image_upload("red.jpg")])
    po.refresh_from_db()
    assert po.status == PS.RECEIVED  # blue still to inspect
    _inspect(blue, warehouse_staff)

    po.refresh_from_db()
    assert po.status == PS.STOCKED
    red.refresh_from_db()
    assert red.status == PurchaseOrderLine.Status.PASSED
    photo = red.photos.get()
    assert photo.image.name.startswith("orders/inspection/")
    assert "red" not in photo.image.name  # stored under a generated name
    assert photo.thumbnail.name.endswith(".jpg")
    item = StockItem.objects.get(receipt_key=f"{po.reference}:line:{red.pk}")
    assert item.company == company
    assert item.quantity == 30
    assert item.photos.count() == 1
    assert Order.objects.get(pk=po.order_id).status == Order.Status.IN_WAREHOUSE
    reasons = " ".join(po.events.values_list("reason", flat=True))
    assert "passed inspection" in reasons


def test_a_failed_line_needs_a_photo(po, warehouse_staff, warehouse):
    _received(po, warehouse_staff, warehouse)
    red, _blue = _lines(po)

    with pytest.raises(exceptions.OrdersError, match="photo"):
        _inspect(red, warehouse_staff, ok=False)

    red.refresh_from_db()
    assert red.status == PurchaseOrderLine.Status.PENDING


def test_a_file_that_is_not_an_image_is_refused(po, warehouse_staff, warehouse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _received(po, warehouse_staff, warehouse)
    red, _blue = _lines(po)
    fake = SimpleUploadedFile("damage.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")

    with pytest.raises(exceptions.OrdersError):
        _inspect(red, warehouse_staff, ok=False, photos=[fake])
    assert not red.photos.exists()


def test_a_short_count_fails_the_quantity_check(po, warehouse_staff, warehouse):
    red, _blue = _lines(po)
    _received(po, warehouse_staff, warehouse, {red.pk: 25})
    red.refresh_from_db()

    _inspect(red, warehouse_staff, photos=[image_upload()])  # every box ticked

    red.refresh_from_db()
    assert red.status == PurchaseOrderLine.Status.FAILED
    assert red.checklist["quantity"] is False


def test_partial_failure_waits_for_the_merchant(
    po, warehouse_staff, warehouse, buyer, client, django_capture_on_commit_callbacks
):
    from django.core import mail

    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    with django_capture_on_commit_callbacks(execute=True):
        _inspect(blue, warehouse_staff, ok=False, photos=[image_upload("torn.png", fmt="PNG")])

    po.refresh_from_db()
    assert po.status == PS.INSPECTED
    assert StockItem.objects.filter(source_reference=po.reference).count() == 1
    assert buyer.email in mail.outbox[-1].to
    assert "failed our inspection" in mail.outbox[-1].body
    assert "No damage" in mail.outbox[-1].body

    client.force_login(buyer)
    page = client.get(reverse("orders:order-detail", args=[po.order_id]))
    assert "This line failed inspection" in page.text
    assert "No damage" in page.text
    photo = blue.photos.get()
    assert reverse("orders:inspection-photo-thumbnail", args=[photo.pk]) in page.text


def test_merchant_accepts_a_failed_line_as_is(po, warehouse_staff, warehouse, buyer, client):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff, ok=False, photos=[image_upload()])

    client.force_login(buyer)
    response = client.post(reverse("orders:po-line-decide", args=[blue.pk, "accept"]))

    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == PS.STOCKED
    item = StockItem.objects.get(receipt_key=f"{po.reference}:line:{blue.pk}")
    assert "Accepted as is" in item.inspection_summary
    assert "Accept as is" in po.events.filter(reason__contains="Accept").last().reason


def test_merchant_returns_a_failed_line_and_is_refunded(
    po, warehouse_staff, warehouse, buyer, company
):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff, ok=False, photos=[image_upload()])
    before = _balance(company)
    rate = po.order.quote.client_rate

    services.purchase_order_line_return(
        line=blue, actor=buyer, membership=membership(buyer, company)
    )

    po.refresh_from_db()
    blue.refresh_from_db()
    assert po.status == PS.STOCKED
    assert blue.refund is not None
    assert _balance(company) - before == (Decimal("160.00") / rate).quantize(Decimal("0.01"))
    assert not StockItem.objects.filter(receipt_key=f"{po.reference}:line:{blue.pk}").exists()


def test_every_line_returned_returns_the_purchase_order(
    po, warehouse_staff, warehouse, buyer, company
):
    _received(po, warehouse_staff, warehouse)
    lines = _lines(po)
    for line in lines:
        _inspect(line, warehouse_staff, ok=False, photos=[image_upload()])

    for line in lines:
        services.purchase_order_line_return(
            line=line, actor=buyer, membership=membership(buyer, company)
        )

    po.refresh_from_db()
    assert po.status == PS.RETURNED
    order = Order.objects.get(pk=po.order_id)
    assert order.status == Order.Status.REFUNDED
    assert _balance(company) == Decimal("500.00")


def test_replacement_goes_back_to_the_supplier_and_is_inspected_again(
    po, warehouse_staff, warehouse, buyer, company, account_manager
):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff, ok=False, photos=[image_upload()])

    services.purchase_order_line_replace(
        line=blue, actor=buyer, membership=membership(buyer, company)
    )
    po.refresh_from_db()
    assert po.status == PS.PLACED
    assert Order.objects.get(pk=po.order_id).status == Order.Status.PURCHASING

    services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF999")
    _received(po, warehouse_staff, warehouse)
    red.refresh_from_db()
    assert red.received_quantity == 30  # the stocked line keeps its count
    blue.refresh_from_db()
    _inspect(blue, warehouse_staff)

    po.refresh_from_db()
    blue.refresh_from_db()
    assert po.status == PS.STOCKED
    assert (blue.times_inspected, blue.times_failed) == (2, 1)
    assert StockItem.objects.filter(source_reference=po.reference).count() == 2


def test_only_the_merchant_of_the_order_decides(
    po, warehouse_staff, warehouse, client, other_company, member_of
):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff, ok=False, photos=[image_upload()])

    client.force_login(member_of(other_company))
    response = client.post(reverse("orders:po-line-decide", args=[blue.pk, "accept"]))

    assert response.status_code == 404
    blue.refresh_from_db()
    assert blue.status == PurchaseOrderLine.Status.FAILED


def test_inspect_page_in_the_admin_with_photos(client, po, warehouse_staff, warehouse):
    _received(po, warehouse_staff, warehouse)
    red, _blue = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_inspect", args=[po.pk])
    prefix = f"line-{red.pk}"
    data = {
        f"{prefix}-inspect": "on",
        **{f"{prefix}-check_{key}": "on" for key in CHECKLIST if key != "packaging"},
        f"{prefix}-note": "box crushed",
        **{f"{prefix}-{name}": str(value) for name, value in MEASURES.items()},
    }

    assert client.get(url).status_code == 200
    response = client.post(
        url, {**data, f"{prefix}-photos": [image_upload("a.jpg"), image_upload("b.jpg")]}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(url)  # the next line
    red.refresh_from_db()
    assert red.status == PurchaseOrderLine.Status.FAILED
    assert red.failed_checks == ["Packaging intact"]
    assert red.photos.count() == 2
    change = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    assert red.photos.first().thumbnail.url in change.text


def test_a_purchase_order_with_stocked_lines_cannot_be_returned_whole(
    po, warehouse_staff, warehouse
):
    _received(po, warehouse_staff, warehouse)
    red, blue = _lines(po)
    _inspect(red, warehouse_staff)
    _inspect(blue, warehouse_staff, ok=False, photos=[image_upload()])

    with pytest.raises(exceptions.InvalidTransition):
        services.purchase_order_return(po=po, actor=warehouse_staff, reason="all back")

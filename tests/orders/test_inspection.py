"""Inspecting several lines of a purchase order in one submit (all or nothing, each refusal by
its line), photos on passed lines as well as failed ones, and the merchant's gallery of them on
the order page, scoped to the company that owns the goods."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics.models import StockItem
from orders import exceptions, services
from orders.models import (
    CHECKLIST,
    InspectionPhoto,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineEvent,
)
from tests.logistics.factories import WarehouseFactory, image_upload
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status
LS = PurchaseOrderLine.Status
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
def warehouse(db):
    return WarehouseFactory()


def _bought(order, account_manager):
    """Place and ship every purchase order of the order."""
    for po in order.purchase_orders.order_by("pk"):
        services.purchase_order_place(
            po=po,
            actor=account_manager,
            supplier_order_no=f"1688-{po.pk}",
            actual_total_cny=po.expected_total_cny,
        )
        services.purchase_order_ship(po=po, actor=account_manager, tracking_number=f"SF{po.pk}")


def _received_po(order, account_manager, warehouse_staff, warehouse):
    _bought(order, account_manager)
    po = order.purchase_orders.get()
    services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=warehouse)
    po.refresh_from_db()
    return po


@pytest.fixture
def po(buyer, company, rates, account_manager, warehouse_staff, warehouse):
    """One supplier, three lines of 20 (¥8 each), received and counted complete."""
    shirt, skus = product_with_skus(supplier=SupplierFactory(), skus=3)
    order = paid_order(buyer, company, (shirt, dict.fromkeys(skus, 20)), balance="800.00")
    return _received_po(order, account_manager, warehouse_staff, warehouse)


def _lines(po):
    return list(po.lines.order_by("pk"))


def _found(line, *, ok=True, photos=(), **kwargs):
    checklist = ALL_OK if ok else {**ALL_OK, "damage": False}
    return services.LineInspection(
        line_id=line.pk, checklist=checklist, photos=list(photos), **{**MEASURES, **kwargs}
    )


def _nothing_written(po, lines):
    po.refresh_from_db()
    assert po.status == PS.RECEIVED
    for line in lines:
        line.refresh_from_db()
        assert line.status == LS.PENDING
        assert line.times_inspected == 0
    assert not PurchaseOrderLineEvent.objects.filter(line__purchase_order=po).exists()
    assert not InspectionPhoto.objects.filter(line__purchase_order=po).exists()
    assert not StockItem.objects.filter(source_reference=po.reference).exists()


# --- the service ---------------------------------------------------------------------------------


def test_several_lines_in_one_go(po, warehouse_staff, company):
    red, blue, green = _lines(po)

    inspected = services.purchase_order_lines_inspect(
        po=po,
        actor=warehouse_staff,
        inspections=[
            _found(red, photos=[image_upload("good.jpg")]),
            _found(blue, ok=False, photos=[image_upload("torn.png", fmt="PNG")]),
            _found(green),
        ],
    )

    assert [line.pk for line in inspected] == [red.pk, blue.pk, green.pk]
    po.refresh_from_db()
    assert po.status == PS.INSPECTED  # blue waits for the merchant
    statuses = dict(po.lines.values_list("pk", "status"))
    assert statuses == {red.pk: LS.PASSED, blue.pk: LS.FAILED, green.pk: LS.PASSED}
    for line, to in ((red, LS.PASSED), (blue, LS.FAILED), (green, LS.PASSED)):
        event = line.events.get()
        assert (event.from_status, event.to_status, event.actor) == (
            LS.PENDING,
            to,
            warehouse_staff,
        )
    assert StockItem.objects.filter(source_reference=po.reference, company=company).count() == 2
    assert po.lines.get(pk=blue.pk).failed_checks == ["No damage"]


def test_one_bad_line_refuses_every_line(po, warehouse_staff):
    red, blue, green = _lines(po)

    with pytest.raises(exceptions.InspectionRefused) as refused:
        services.purchase_order_lines_inspect(
            po=po,
            actor=warehouse_staff,
            inspections=[
                _found(red, photos=[image_upload("good.jpg")]),
                _found(blue, ok=False),  # failed without a photo
                _found(green, weight_kg=None),  # measures missing
            ],
        )

    assert set(refused.value.errors) == {blue.pk, green.pk}
    assert "photo" in refused.value.errors[blue.pk]
    assert "weight" in refused.value.errors[green.pk]
    assert blue.description in refused.value.message
    _nothing_written(po, [red, blue, green])


def test_lines_of_another_purchase_order_are_refused(
    po, warehouse_staff, buyer, other_company, member_of, account_manager, warehouse
):
    shirt, (sku,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    other_buyer = member_of(other_company)
    foreign_order = paid_order(other_buyer, other_company, (shirt, {sku: 20}))
    foreign_po = _received_po(foreign_order, account_manager, warehouse_staff, warehouse)
    (foreign,) = _lines(foreign_po)
    red, blue, green = _lines(po)

    with pytest.raises(exceptions.OrdersError) as refused:
        services.purchase_order_lines_inspect(
            po=po, actor=warehouse_staff, inspections=[_found(red), _found(foreign)]
        )

    assert refused.value.status == 404
    assert foreign.description not in refused.value.message
    _nothing_written(po, [red, blue, green])
    _nothing_written(foreign_po, [foreign])


def test_a_line_already_inspected_is_named_and_nothing_is_written(po, warehouse_staff):
    red, blue, _green = _lines(po)
    services.purchase_order_lines_inspect(po=po, actor=warehouse_staff, inspections=[_found(red)])

    with pytest.raises(exceptions.InspectionRefused) as refused:
        services.purchase_order_lines_inspect(
            po=po, actor=warehouse_staff, inspections=[_found(blue), _found(red)]
        )

    assert list(refused.value.errors) == [red.pk]
    blue.refresh_from_db()
    assert blue.status == LS.PENDING
    assert red.events.count() == 1


def test_each_line_once_and_at_least_one(po, warehouse_staff):
    red, _blue, _green = _lines(po)
    with pytest.raises(exceptions.OrdersError):
        services.purchase_order_lines_inspect(po=po, actor=warehouse_staff, inspections=[])
    with pytest.raises(exceptions.OrdersError):
        services.purchase_order_lines_inspect(
            po=po, actor=warehouse_staff, inspections=[_found(red), _found(red)]
        )
    red.refresh_from_db()
    assert red.status == LS.PENDING


def test_a_recount_at_inspection_is_recorded_and_fails_the_quantity(po, warehouse_staff):
    red, _blue, _green = _lines(po)

    services.purchase_order_lines_inspect(
        po=po,
        actor=warehouse_staff,
        inspections=[_found(red, received_quantity=18, photos=[image_upload()])],
    )

    red.refresh_from_db()
    assert red.received_quantity == 18
    assert red.status == LS.FAILED
    assert red.checklist["quantity"] is False
    assert "Recounted: 18 of 20." in red.events.get().reason


def test_photos_of_a_passed_line_are_kept_and_go_to_stock(po, warehouse_staff):
    red, _blue, _green = _lines(po)

    services.purchase_order_lines_inspect(
        po=po,
        actor=warehouse_staff,
        inspections=[_found(red, photos=[image_upload("a.jpg"), image_upload("b.jpg")])],
    )

    red.refresh_from_db()
    assert red.status == LS.PASSED
    assert red.photos.count() == 2
    item = StockItem.objects.get(receipt_key=f"{po.reference}:line:{red.pk}")
    assert item.photos.count() == 2


def test_only_warehouse_staff_inspect(po, account_manager):
    red, _blue, _green = _lines(po)
    with pytest.raises(exceptions.PermissionRefused):
        services.purchase_order_lines_inspect(
            po=po, actor=account_manager, inspections=[_found(red)]
        )


# --- the admin page --------------------------------------------------------------------------


def _form_data(line, *, ok=True, inspect=True, **extra):
    prefix = f"line-{line.pk}"
    data = {f"{prefix}-{name}": str(value) for name, value in MEASURES.items()}
    data |= {f"{prefix}-check_{key}": "on" for key in CHECKLIST if ok or key != "damage"}
    if inspect:
        data[f"{prefix}-inspect"] = "on"
    return data | {f"{prefix}-{name}": value for name, value in extra.items()}


def test_the_admin_inspects_several_lines_in_one_submit(client, po, warehouse_staff):
    red, blue, green = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_inspect", args=[po.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert all(f'id="line-{line.pk}"' in page.text for line in (red, blue, green))

    response = client.post(
        url,
        {
            **_form_data(red, photos=[image_upload("good.jpg")]),
            **_form_data(blue, ok=False, photos=[image_upload("torn.jpg")]),
            **_form_data(green, inspect=False),  # later
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith(url)  # green still waits
    statuses = dict(po.lines.values_list("pk", "status"))
    assert statuses == {red.pk: LS.PASSED, blue.pk: LS.FAILED, green.pk: LS.PENDING}
    assert red.photos.count() == 1

    response = client.post(url, _form_data(green))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    po.refresh_from_db()
    assert po.status == PS.INSPECTED
    change = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    assert "Waiting for inspection → Failed inspection" in change.text  # blue's timeline


def test_the_admin_shows_each_refusal_by_its_line_and_records_nothing(client, po, warehouse_staff):
    red, blue, green = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_inspect", args=[po.pk])

    response = client.post(
        url, {**_form_data(red), **_form_data(blue, ok=False), **_form_data(green)}
    )

    assert response.status_code == 200
    section = response.text.split(f'id="line-{blue.pk}"')[1].split("</fieldset>")[0]
    assert "Add a photo showing why the line failed." in section
    _nothing_written(po, [red, blue, green])


def test_the_admin_asks_for_a_line(client, po, warehouse_staff):
    red, blue, green = _lines(po)
    client.force_login(warehouse_staff)
    url = reverse("admin:orders_purchaseorder_inspect", args=[po.pk])

    response = client.post(url, _form_data(red, inspect=False))

    assert response.status_code == 200
    assert "Choose at least one line to inspect." in response.text
    _nothing_written(po, [red, blue, green])


# --- the merchant's gallery ----------------------------------------------------------------------


def _inspected(po, warehouse_staff, *, photos_per_line=1):
    red, blue, *rest = _lines(po)
    services.purchase_order_lines_inspect(
        po=po,
        actor=warehouse_staff,
        inspections=[
            _found(red, photos=[image_upload(f"ok{n}.jpg") for n in range(photos_per_line)]),
            _found(
                blue, ok=False, photos=[image_upload(f"bad{n}.jpg") for n in range(photos_per_line)]
            ),
            *(_found(line) for line in rest),
        ],
    )
    return red, blue


def test_the_merchant_sees_a_gallery_of_good_and_bad_goods(po, warehouse_staff, buyer, client):
    red, blue = _inspected(po, warehouse_staff)
    client.force_login(buyer)

    page = client.get(reverse("orders:order-detail", args=[po.order_id])).text

    for line, result in ((red, "Passed inspection"), (blue, "Failed inspection")):
        gallery = page.split(f'id="inspection-line-{line.pk}"')[1].split("</figure>")[0]
        photo = line.photos.get()
        assert reverse("orders:inspection-photo", args=[photo.pk]) in gallery
        assert reverse("orders:inspection-photo-thumbnail", args=[photo.pk]) in gallery
        assert result in gallery
        assert photo.image.url not in page  # never the storage's own address
    assert "No damage" in page.split(f'id="inspection-line-{blue.pk}"')[1].split("</figure>")[0]

    full = client.get(reverse("orders:inspection-photo", args=[red.photos.get().pk]))
    thumb = client.get(reverse("orders:inspection-photo-thumbnail", args=[blue.photos.get().pk]))
    assert (full.status_code, full["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(full.streaming_content)[:2] == b"\xff\xd8"
    assert thumb.status_code == 200
    assert "private" in thumb["Cache-Control"]


def test_another_company_gets_404_for_the_gallery_and_its_photos(
    po, warehouse_staff, client, other_company, member_of
):
    red, _blue = _inspected(po, warehouse_staff)
    photo = red.photos.get()
    client.force_login(member_of(other_company))

    assert client.get(reverse("orders:order-detail", args=[po.order_id])).status_code == 404
    assert client.get(reverse("orders:inspection-photo", args=[photo.pk])).status_code == 404
    thumbnail = reverse("orders:inspection-photo-thumbnail", args=[photo.pk])
    assert client.get(thumbnail).status_code == 404


def test_signed_out_visitors_never_see_a_photo(po, warehouse_staff, client):
    red, _blue = _inspected(po, warehouse_staff)
    response = client.get(reverse("orders:inspection-photo", args=[red.photos.get().pk]))
    assert response.status_code == 302


def _order_page_queries(client, order_id):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("orders:order-detail", args=[order_id]))
    assert response.status_code == 200
    return len(queries), response


def test_the_order_page_query_count_does_not_grow_with_lines_and_photos(
    buyer, company, rates, account_manager, warehouse_staff, warehouse, client
):
    def inspected_order(skus, photos):
        shirt, variants = product_with_skus(supplier=SupplierFactory(), skus=skus)
        order = paid_order(buyer, company, (shirt, dict.fromkeys(variants, 20)), balance="900.00")
        _inspected(
            _received_po(order, account_manager, warehouse_staff, warehouse),
            warehouse_staff,
            photos_per_line=photos,
        )
        return order

    small = inspected_order(skus=2, photos=1)
    large = inspected_order(skus=5, photos=3)
    client.force_login(buyer)
    _order_page_queries(client, small.pk)  # the first request stores the company in the session

    few, _page = _order_page_queries(client, small.pk)
    many, page = _order_page_queries(client, large.pk)

    assert many == few
    assert page.text.count("/thumbnail/") == 2 * 3

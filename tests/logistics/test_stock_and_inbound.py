from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from logistics import services, tasks
from logistics.exceptions import LogisticsError, PhotoRejected
from logistics.models import InboundParcel, StockItem, StorageCharge
from payments.selectors import wallet_balance
from procurement.core.exceptions import InvalidTransition
from tests.logistics.factories import StockItemFactory, fx_rate, image_upload

pytestmark = pytest.mark.django_db
D = Decimal


def receive(company, warehouse, **kwargs):
    fields = {
        "company": company,
        "warehouse": warehouse,
        "description": "Bluetooth speakers",
        "quantity": 20,
        "weight_kg": D("4.5"),
        "length_cm": D("40"),
        "width_cm": D("30"),
        "height_cm": D("25"),
        "source_reference": "po:12",
    }
    return services.stock_receive(**{**fields, **kwargs})


def test_stock_receive_sets_free_storage_and_is_idempotent(company, warehouse, settings):
    settings.LOGISTICS_FREE_STORAGE_DAYS = 60
    arrived = timezone.now()
    item = receive(company, warehouse, receipt_key="po:12:line:1", arrived_at=arrived)
    assert item.status == StockItem.Status.IN_STOCK
    assert item.free_storage_until == timezone.localdate(arrived) + timedelta(days=60)
    again = receive(company, warehouse, receipt_key="po:12:line:1", quantity=99)
    assert again.pk == item.pk
    assert StockItem.objects.count() == 1


def test_stock_receive_with_photos_makes_thumbnails(company, warehouse):
    item = receive(
        company,
        warehouse,
        photos=[image_upload(), image_upload("p.png", "PNG", (2000, 1000), "image/png")],
        restricted_goods=["battery_packed"],
    )
    photos = list(item.photos.all())
    assert len(photos) == 2
    assert photos[1].image.name.endswith(".png")
    from PIL import Image

    with Image.open(photos[1].thumbnail) as thumb:
        assert max(thumb.size) == 320
    assert item.restricted_goods == ["battery_packed"]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg"),
        image_upload("anim.gif", "GIF", content_type="image/gif"),
    ],
)
def test_photos_that_are_not_jpeg_png_webp_are_refused(company, warehouse, upload):
    with pytest.raises(PhotoRejected):
        receive(company, warehouse, photos=[upload])
    assert not StockItem.objects.exists()


def test_oversized_photo_is_refused(company, warehouse, settings):
    settings.LOGISTICS_PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoRejected, match="too large"):
        receive(company, warehouse, photos=[image_upload(size=(800, 800))])


def test_unknown_restricted_goods_are_refused(company, warehouse):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        receive(company, warehouse, restricted_goods=["plutonium"])


# --- Forwarding-only inbound parcels -------------------------------------------------------------


def test_declare_and_receive_into_stock(company, owner, staff_user, warehouse):
    inbound = services.inbound_declare(
        company=company,
        actor=owner,
        warehouse=warehouse,
        carrier="SF Express",
        tracking_number="sf 1234 5678",
        contents="Phone cases",
        declared_value=D("250"),
    )
    assert inbound.tracking_number == "SF12345678"
    assert inbound.declared_currency == "USD"
    item = services.inbound_receive(
        inbound=inbound,
        actor=staff_user,
        quantity=100,
        weight_kg=D("3"),
        length_cm=D("30"),
        width_cm=D("30"),
        height_cm=D("30"),
        inspection_summary="Box intact",
        photos=[image_upload()],
    )
    inbound.refresh_from_db()
    assert inbound.status == InboundParcel.Status.RECEIVED
    assert inbound.received_by == staff_user
    assert item.company == company
    assert item.source_reference == f"inbound:{inbound.pk}"
    assert item.photos.count() == 1
    with pytest.raises(InvalidTransition):
        services.inbound_cancel(inbound=inbound, actor=owner)
    with pytest.raises(InvalidTransition):
        services.inbound_receive(
            inbound=inbound,
            actor=staff_user,
            quantity=1,
            weight_kg=D(1),
            length_cm=D(1),
            width_cm=D(1),
            height_cm=D(1),
        )
    assert StockItem.objects.count() == 1
    assert list(inbound.events.values_list("to_status", flat=True)) == ["declared", "received"]


def test_sourcing_only_company_cannot_declare(company, owner, warehouse, owner_client):
    company.uses_forwarding = False
    company.save()
    with pytest.raises(LogisticsError, match="forwarding"):
        services.inbound_declare(
            company=company,
            actor=owner,
            warehouse=warehouse,
            carrier="SF",
            tracking_number="SF1",
            contents="x",
            declared_value=D(1),
        )
    response = owner_client.get(reverse("logistics:inbound-create"))
    assert response.status_code == 302


def test_declare_page_and_duplicate_tracking_number(owner_client, company, warehouse):
    data = {
        "warehouse": warehouse.pk,
        "carrier": "YTO",
        "tracking_number": "YT100",
        "contents": "Shoes",
        "declared_value": "80",
    }
    assert owner_client.post(reverse("logistics:inbound-create"), data).status_code == 302
    again = owner_client.post(reverse("logistics:inbound-create"), data)
    assert again.status_code == 200
    assert "already declared" in again.text
    inbound = InboundParcel.objects.get()
    owner_client.post(reverse("logistics:inbound-cancel", args=[inbound.pk]))
    inbound.refresh_from_db()
    assert inbound.status == InboundParcel.Status.CANCELLED
    # Once cancelled, the number may be declared again.
    assert owner_client.post(reverse("logistics:inbound-create"), data).status_code == 302


# --- Storage fees --------------------------------------------------------------------------------


def test_storage_fee_once_per_item_per_month_after_the_free_period(company, settings):
    settings.LOGISTICS_STORAGE_FEE_CNY = "15.00"
    fx_rate("CNY", "USD", "0.14")
    due = StockItemFactory(company=company, free_storage_until=date(2026, 3, 10))
    StockItemFactory(company=company, free_storage_until=date(2026, 3, 20))  # still free
    assert services.storage_fees_charge(today=date(2026, 3, 10)) == 0  # last free day
    assert services.storage_fees_charge(today=date(2026, 3, 11)) == 1
    assert services.storage_fees_charge(today=date(2026, 3, 11)) == 0
    assert services.storage_fees_charge(today=date(2026, 3, 31)) == 1  # the other item
    assert services.storage_fees_charge(today=date(2026, 4, 1)) == 2  # a new month
    charge = StorageCharge.objects.get(item=due, period=date(2026, 3, 1))
    assert charge.idempotency_key == f"storage:{due.pk}:2026-03"
    # Charged through the ledger at the client rate (0.14 USD per CNY less 150 bps markup).
    assert (charge.amount_cny, charge.amount, charge.currency) == (D("15.00"), D("2.13"), "USD")
    assert charge.ledger_reference
    assert StorageCharge.objects.count() == 4
    assert wallet_balance(company=company, currency="USD") == D("1000") - 4 * D("2.13")


def test_shipped_items_pay_no_storage(company, owner):
    from tests.logistics.factories import AddressFactory, channel_with_zone

    item = StockItemFactory(company=company, free_storage_until=date(2026, 1, 1))
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk],
    )
    services.parcel_request_packing(parcel=parcel, actor=owner)
    services.parcel_pack(
        parcel=parcel, actor=owner, weight_kg=D(1), length_cm=D(9), width_cm=D(9), height_cm=D(9)
    )
    services.parcel_ship(parcel=parcel, actor=owner, tracking_number="SF1")
    assert services.storage_fees_charge(today=date(2026, 3, 1)) == 0


def test_notice_before_fees_start_is_sent_once(company, owner, django_capture_on_commit_callbacks):
    today = date(2026, 3, 1)
    soon = StockItemFactory(company=company, free_storage_until=today + timedelta(days=10))
    StockItemFactory(company=company, free_storage_until=today + timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.storage_notices_send(today=today) == 1
    assert len(mail.outbox) == 1
    assert soon.description in mail.outbox[0].body
    assert owner.email in mail.outbox[0].to
    with django_capture_on_commit_callbacks(execute=True):
        assert services.storage_notices_send(today=today) == 0
    assert len(mail.outbox) == 1


def test_storage_tasks_run(company):
    StockItemFactory(company=company, free_storage_until=timezone.localdate() - timedelta(days=1))
    assert tasks.storage_fees_charge() == 1
    assert tasks.storage_fees_charge() == 0
    assert tasks.storage_notices_send() == 1

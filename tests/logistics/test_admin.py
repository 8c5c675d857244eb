from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from logistics import services
from logistics.models import InboundParcel, Parcel, ShippingChannel
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    channel_with_zone,
    image_upload,
    pack_form_data,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def in_group(user, name):
    user.groups.add(Group.objects.get(name=name))
    return user


def requested_parcel(company, owner):
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[StockItemFactory(company=company).pk],
    )
    return services.parcel_request_packing(parcel=parcel, actor=owner)


def test_staff_without_the_warehouse_group_cannot_pack(staff_client, company, owner):
    parcel = requested_parcel(company, owner)
    response = staff_client.post(
        reverse("admin:logistics_parcel_pack", args=[parcel.pk]),
        pack_form_data(parcel, [("1", "10", "10", "10")]),
    )
    assert response.status_code == 403
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED


def test_warehouse_packs_and_ships_in_the_admin(staff_client, staff_user, company, owner):
    in_group(staff_user, "Warehouse")
    parcel = requested_parcel(company, owner)
    queue = staff_client.get(
        reverse("admin:logistics_parcel_changelist"), {"status": "packing_requested"}
    )
    assert queue.status_code == 200
    assert parcel.reference in queue.text
    page = staff_client.get(reverse("admin:logistics_parcel_pack", args=[parcel.pk]))
    assert page.status_code == 200
    response = staff_client.post(
        reverse("admin:logistics_parcel_pack", args=[parcel.pk]),
        pack_form_data(parcel, [("1.4", "30", "20", "10")]),
    )
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKED
    assert parcel.actual_freight_cny == D("160.00")
    assert parcel.events.last().actor == staff_user
    response = staff_client.post(
        reverse("admin:logistics_parcel_ship", args=[parcel.pk]), {"tracking_number": "SF777"}
    )
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.SHIPPED
    assert parcel.tracking_number == "SF777"


def test_pack_refusal_is_shown_on_the_form(staff_client, staff_user, company, owner):
    in_group(staff_user, "Warehouse")
    parcel = requested_parcel(company, owner)
    response = staff_client.post(
        reverse("admin:logistics_parcel_ship", args=[parcel.pk]), {"tracking_number": "SF1"}
    )
    assert response.status_code == 200
    assert "cannot become shipped" in response.text


def test_receiving_queue_finds_by_tracking_number_and_receives(
    staff_client, staff_user, company, owner, warehouse
):
    in_group(staff_user, "Warehouse")
    inbound = services.inbound_declare(
        company=company,
        actor=owner,
        warehouse=warehouse,
        carrier="ZTO",
        tracking_number="ZT998877",
        contents="Hats",
        declared_value=D("40"),
    )
    queue = staff_client.get(reverse("admin:logistics_inboundparcel_changelist"), {"q": "ZT998877"})
    assert queue.status_code == 200
    assert "ZT998877" in queue.text
    response = staff_client.post(
        reverse("admin:logistics_inboundparcel_receive", args=[inbound.pk]),
        {
            "quantity": "12",
            "weight_kg": "2.5",
            "length_cm": "40",
            "width_cm": "30",
            "height_cm": "20",
            "inspection_summary": "All good",
            "photos": [image_upload("a.jpg"), image_upload("b.jpg")],
        },
    )
    assert response.status_code == 302, response.content
    inbound.refresh_from_db()
    assert inbound.status == InboundParcel.Status.RECEIVED
    item = company.stock_items.get()
    assert item.quantity == 12
    assert item.photos.count() == 2


def test_account_managers_edit_channels_and_rates(client, staff_user):
    in_group(staff_user, "Account managers")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:logistics_shippingchannel_add"),
        {
            "code": "yun-ex",
            "carrier": "Yun",
            "name": "Express",
            "service": "air_express",
            "is_active": "on",
            "countries": ["US", "CA"],
            "transit_days_min": "6",
            "transit_days_max": "10",
            "volumetric_divisor": "6000",
            "tracking": "sandbox",
            "carrier_code": "",
            "zones-TOTAL_FORMS": "1",
            "zones-INITIAL_FORMS": "0",
            "zones-MIN_NUM_FORMS": "0",
            "zones-MAX_NUM_FORMS": "1000",
            "zones-0-name": "North America",
            "zones-0-countries": ["US", "CA"],
            "zones-0-first_weight_kg": "0.5",
            "zones-0-first_price_cny": "90",
            "zones-0-additional_unit_kg": "0.5",
            "zones-0-additional_price_cny": "25",
            "zones-0-max_weight_kg": "20",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    channel = ShippingChannel.objects.get(code="yun-ex")
    assert channel.zones.get().countries[0].code in {"US", "CA"}


def test_rate_zone_may_not_list_countries_the_channel_does_not_serve():
    from django.core.exceptions import ValidationError

    from logistics.models import RateZone

    channel = channel_with_zone(countries=["US"])
    zone = RateZone(
        channel=channel,
        name="Bad",
        countries=["US", "JP"],
        first_weight_kg=D("1"),
        first_price_cny=D("1"),
        additional_unit_kg=D("1"),
        additional_price_cny=D("1"),
        max_weight_kg=D("10"),
    )
    with pytest.raises(ValidationError, match="JP"):
        zone.full_clean()


@pytest.mark.parametrize(
    "model",
    [
        "warehouse",
        "shippingchannel",
        "address",
        "stockitem",
        "inboundparcel",
        "parcel",
        "freightcharge",
        "storagecharge",
    ],
)
def test_admin_pages_render(client, staff_user, company, owner, model):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    parcel = requested_parcel(company, owner)
    assert client.get(reverse(f"admin:logistics_{model}_changelist")).status_code == 200
    objects = {
        "parcel": parcel,
        "stockitem": parcel.items.first(),
        "shippingchannel": parcel.channel,
        "address": parcel.destination,
        "warehouse": parcel.warehouse,
    }
    if model in objects:
        url = reverse(f"admin:logistics_{model}_change", args=[objects[model].pk])
        assert client.get(url).status_code == 200


def test_pack_page_lists_bins_and_hazards_and_names_the_line_at_fault(
    staff_client, staff_user, company, owner
):
    in_group(staff_user, "Warehouse")
    channel = channel_with_zone(accepted_hazards=["battery_built_in"])
    earbuds = StockItemFactory(
        company=company,
        description="Earbuds x 10",
        restricted_goods=["battery_built_in"],
        bin_location="B-07-3",
        hs_code="",
    )
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel,
        item_ids=[earbuds.pk],
    )
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    url = reverse("admin:logistics_parcel_pack", args=[parcel.pk])
    page = staff_client.get(url)
    assert "B-07-3" in page.text
    assert "Battery built into the device" in page.text
    assert "Line 1 (Earbuds x 10): enter an HS code of at least 6 digits." in page.text

    refused = staff_client.post(url, pack_form_data(parcel, [("1.3", "30", "20", "10")]))
    assert refused.status_code == 200
    assert "Line 1 (Earbuds x 10): enter an HS code" in refused.text
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED

    data = pack_form_data(parcel, [("1.3", "30", "20", "10"), ("0.8", "20", "20", "10")])
    data["line-0-hs_code"] = "851830"
    assert staff_client.post(url, data).status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKED
    assert parcel.boxes.count() == 2
    assert parcel.declaration.get().hs_code == "851830"


def test_staff_see_why_a_document_failed_and_the_parcel_stays(
    staff_client, staff_user, company, owner, django_capture_on_commit_callbacks
):
    in_group(staff_user, "Warehouse")
    item = StockItemFactory(company=company, unit_value=None, description="Samples")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk],
    )
    url = reverse("admin:logistics_parcel_document", args=[parcel.pk, "commercial_invoice"])
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.get(url)
    page = staff_client.get(url, follow=True)
    assert "Commercial invoice failed: Line 1 (Samples) has no declared value." in page.text
    change = staff_client.get(reverse("admin:logistics_parcel_change", args=[parcel.pk]))
    assert "has no declared value" in change.text
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DRAFT

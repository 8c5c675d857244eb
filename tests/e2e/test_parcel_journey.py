"""A merchant ships stored goods: picks two stock items into one parcel, chooses where and how,
sees the freight estimate and requests packing; warehouse staff pack and ship it in the admin
(through the two-factor login); the carrier's events arrive through the signed tracking webhook
and the merchant follows them on the parcel page."""

import json
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from logistics import conf, services, webhooks
from logistics.models import Parcel
from logistics.services.stock import CustomsData
from procurement.accounts.staff_groups import WAREHOUSE
from tests.e2e.helpers import (
    clear_cache,
    log_in,
    log_in_to_admin,
    merchant,
    second_person,
    staff_member,
)
from tests.logistics.factories import AddressFactory, WarehouseFactory, channel_with_zone
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TRACKING_NUMBER = "SF1234567890"


def receive(company, warehouse, description: str, reference: str):
    return services.stock_receive(
        company=company,
        warehouse=warehouse,
        description=description,
        quantity=10,
        weight_kg=Decimal("1.200"),
        length_cm=Decimal("30"),
        width_cm=Decimal("20"),
        height_cm=Decimal("10"),
        source_reference=reference,
        inspection_summary="All checks passed",
        # Received from a purchase order: the product's customs data comes with the goods.
        customs=CustomsData(hs_code="691200", unit_value=Decimal("12.00"), value_currency="CNY"),
    )


def carrier_push(parcel: Parcel) -> tuple[str, dict]:
    """The sandbox carrier's push for two scans, signed as the webhook expects."""
    now = timezone.now()
    body = json.dumps(
        {
            "tracking_number": TRACKING_NUMBER,
            "reference": f"parcel:{parcel.pk}",
            "events": [
                {
                    "id": "scan-1",
                    "status": "info",
                    "occurred_at": (now - timedelta(hours=2)).isoformat(),
                    "description": "Shipment information received",
                    "location": "Shenzhen, CN",
                },
                {
                    "id": "scan-2",
                    "status": "in_transit",
                    "occurred_at": (now - timedelta(hours=1)).isoformat(),
                    "description": "Departed origin facility",
                    "location": "Shenzhen, CN",
                },
            ],
        }
    )
    timestamp = str(int(time.time()))
    signature = webhooks.sign(
        secret=conf.tracking_webhook_secret(), timestamp=timestamp, body=body.encode()
    )
    headers = {
        webhooks.TIMESTAMP_HEADER: timestamp,
        webhooks.SIGNATURE_HEADER: signature,
        "Content-Type": "application/json",
    }
    return body, headers


def test_merchant_consolidates_stock_and_follows_the_shipped_parcel(page, browser, live_server):
    clear_cache()
    seed_rates()
    user, company = merchant(wallet_currency="USD")
    fund_wallet(company, "500")
    warehouse = WarehouseFactory()
    receive(company, warehouse, "Enamel camping mugs", "po:1")
    receive(company, warehouse, "Porcelain tea mugs", "po:2")
    address = AddressFactory(company=company, name="Bay Store", country="US")
    channel = channel_with_zone(name="Air Express")
    packer = staff_member(WAREHOUSE)

    log_in(page, user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Shipping").click()
    stock = page.get_by_role("table", name="Your stock items")
    expect(stock.get_by_role("row")).to_have_count(3)
    page.get_by_role("link", name="Ship items").click()

    expect(page.get_by_role("heading", name="New parcel")).to_be_visible()
    items = page.get_by_role("group", name="Stock items")
    items.get_by_label(re.compile("Enamel camping mugs")).check()
    items.get_by_label(re.compile("Porcelain tea mugs")).check()
    page.get_by_label("Destination").select_option(label=str(address))
    page.get_by_label("Shipping channel").select_option(label=str(channel))
    page.get_by_role("button", name="Create parcel").click()

    expect(page.get_by_role("heading", name=re.compile(r"^Parcel "))).to_contain_text("Draft")
    # Two items of 1.2 kg and 6000 cm3 each: 2.4 kg real, 2.4 kg volumetric at 5000.
    estimate = page.get_by_text(re.compile(r"Estimate now: 2\.5 kg chargeable, 220\.00 CNY"))
    expect(estimate).to_be_visible()
    expect(estimate).to_contain_text(re.compile(r"\(\d+\.\d\d USD\)"))
    items_list = page.get_by_role("list").filter(has_text="Enamel camping mugs")
    expect(items_list).to_contain_text("Porcelain tea mugs")
    page.get_by_role("button", name="Request packing").click()
    expect(page.get_by_text("Packing requested.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Parcel "))).to_contain_text(
        "Packing requested"
    )
    parcel = Parcel.objects.get(company=company)

    with second_person(browser, live_server.url) as admin:
        log_in_to_admin(admin, packer)
        admin.goto("/admin/logistics/parcel/?status__exact=packing_requested")
        admin.get_by_role("link", name="Pack", exact=True).click()
        admin.get_by_label("Box 1 Weight (kg)").fill("2.6")
        admin.get_by_label("Box 1 Length (cm)").fill("32")
        admin.get_by_label("Box 1 Width (cm)").fill("22")
        admin.get_by_label("Box 1 Height (cm)").fill("20")
        admin.get_by_role("button", name="Save and pack").click()
        expect(admin.get_by_text(re.compile(rf"{parcel.reference} packed"))).to_be_visible()

        admin.goto("/admin/logistics/parcel/?status__exact=packed")
        admin.get_by_role("link", name="Ship", exact=True).click()
        admin.get_by_label("Tracking number").fill(TRACKING_NUMBER)
        admin.get_by_role("button", name="Save").click()
        expect(admin.get_by_text(f"{parcel.reference} shipped.")).to_be_visible()

        # The carrier pushes its scans to the public webhook.
        body, headers = carrier_push(parcel)
        response = admin.request.post(
            "/logistics/tracking/webhook/sandbox/", data=body, headers=headers
        )
        assert response.status == 200, response.text()
        assert response.json() == {"created": 2}

    page.reload()
    expect(page.get_by_role("heading", name=re.compile(r"^Parcel "))).to_contain_text("In transit")
    expect(page.get_by_text(TRACKING_NUMBER, exact=True)).to_be_visible()
    freight = page.get_by_role("table", name="Estimated and actual freight")
    expect(freight.get_by_role("row", name=re.compile("^Estimated"))).to_contain_text("2.5 kg")
    expect(freight.get_by_role("row", name=re.compile(r"^Actual"))).to_be_visible()
    timeline = page.get_by_role("region", name="Tracking").get_by_role("listitem")
    expect(timeline).to_have_count(2)
    # Latest scan first.
    expect(timeline.nth(0)).to_contain_text("In transit · Departed origin facility · Shenzhen, CN")
    expect(timeline.nth(1)).to_contain_text("Shipment information received · Shenzhen, CN")

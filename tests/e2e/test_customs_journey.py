"""End to end: warehouse staff pack a two-box parcel holding a battery item on a
channel that accepts built-in batteries (the pack page shows the bin and the hazard), and the
merchant downloads its commercial invoice as a PDF and reads its figures."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from logistics import services
from logistics.models import Parcel, ParcelDocument
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


def test_staff_pack_a_battery_parcel_in_two_boxes_and_the_merchant_gets_its_invoice(
    page, browser, live_server
):
    clear_cache()
    seed_rates()
    user, company = merchant(wallet_currency="USD")
    fund_wallet(company, "500")
    warehouse = WarehouseFactory()
    earbuds = services.stock_receive(
        company=company,
        warehouse=warehouse,
        description="Wireless earbuds",
        quantity=20,
        weight_kg=Decimal("2.000"),
        length_cm=Decimal("30"),
        width_cm=Decimal("20"),
        height_cm=Decimal("15"),
        source_reference="po:7",
        restricted_goods=["battery_built_in"],
        customs=CustomsData(
            product_reference="product:41",
            description_zh="蓝牙耳机",
            hs_code="851830",
            unit_value=Decimal("35.00"),
            value_currency="CNY",
        ),
    )
    earbuds.bin_location = "C-02-4"
    earbuds.save(update_fields=["bin_location"])
    address = AddressFactory(company=company, name="Bay Store", country="US")
    channel_with_zone(carrier="DHL", name="Express Worldwide")  # refuses batteries
    battery_line = channel_with_zone(
        carrier="SF", name="Battery Air", accepted_hazards=["battery_built_in", "battery_packed"]
    )
    packer = staff_member(WAREHOUSE)

    log_in(page, user)
    page.goto("/logistics/parcels/new/")
    channel_choice = page.get_by_label("Shipping channel")
    expect(channel_choice.locator("option", has_text="DHL Express Worldwide")).to_contain_text(
        "does not carry battery built into the device"
    )
    page.get_by_role("group", name="Stock items").get_by_label(
        re.compile("Wireless earbuds")
    ).check()
    page.get_by_label("Destination").select_option(label=str(address))
    channel_choice.select_option(label=str(battery_line))
    page.get_by_role("button", name="Create parcel").click()

    expect(page.get_by_role("heading", name=re.compile(r"^Parcel "))).to_contain_text("Draft")
    charge = page.locator("#packing-charge")
    expect(charge).to_contain_text(re.compile(r"Requesting packing takes \d+\.\d\d USD"))
    declaration = page.get_by_role("table", name=re.compile("What customs are told"))
    expect(declaration).to_contain_text("851830")
    expect(declaration).to_contain_text("蓝牙耳机")
    # The merchant corrects the declaration before asking for packing.
    page.get_by_text("Correct the declaration").click()
    page.get_by_label("Description (English)").fill("Bluetooth earbuds, 10 pairs")
    page.get_by_label("HS code").fill("8518.30")
    page.get_by_role("button", name="Save declaration").click()
    expect(page.get_by_text("Declaration saved.")).to_be_visible()
    expect(declaration).to_contain_text("Bluetooth earbuds, 10 pairs")
    page.get_by_role("button", name="Request packing").click()
    expect(page.get_by_text("Packing requested.")).to_be_visible()
    parcel = Parcel.objects.get(company=company)

    with second_person(browser, live_server.url) as admin:
        log_in_to_admin(admin, packer)
        admin.goto("/admin/logistics/parcel/?status__exact=packing_requested")
        admin.get_by_role("link", name="Pack", exact=True).click()
        pick = admin.locator("#pick-list")
        expect(pick).to_contain_text("C-02-4")
        expect(pick).to_contain_text("Battery built into the device")
        for number, (weight, length, width, height) in enumerate(
            [("1.4", "30", "20", "15"), ("1.1", "25", "20", "15")], start=1
        ):
            admin.get_by_label(f"Box {number} Weight (kg)").fill(weight)
            admin.get_by_label(f"Box {number} Length (cm)").fill(length)
            admin.get_by_label(f"Box {number} Width (cm)").fill(width)
            admin.get_by_label(f"Box {number} Height (cm)").fill(height)
        admin.get_by_role("button", name="Save and pack").click()
        expect(admin.get_by_text(re.compile(rf"{parcel.reference} packed"))).to_be_visible()

    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKED
    assert [box.chargeable_kg for box in parcel.boxes.all()] == [Decimal("2.0"), Decimal("1.5")]

    page.reload()
    expect(page.get_by_role("heading", name=re.compile(r"^Parcel "))).to_contain_text("Packed")
    documents = page.get_by_role("region", name="Documents")
    invoice_link = documents.get_by_role("link", name=re.compile("Commercial invoice"))
    # Built on the exports queue (in-process here) the first time it is asked for, then
    # downloaded with the merchant's session.
    response = page.request.get(invoice_link.get_attribute("href"))
    document = ParcelDocument.objects.get(parcel=parcel, kind="commercial_invoice")
    assert document.status == ParcelDocument.Status.READY, document.error
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    line = parcel.declaration.get()
    assert parcel.reference in text
    assert "蓝牙耳机" in text
    assert "Bluetooth earbuds, 10 pairs" in text
    assert "851830" in text
    assert f"{line.declared_value} USD" in text

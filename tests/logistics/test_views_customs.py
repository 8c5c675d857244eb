"""Merchant pages for customs: channel choices with reasons, the declaration and thresholds on
the parcel page, the charge stated before "Request packing", customs details, documents."""

from decimal import Decimal

import pytest
from django.urls import reverse

from logistics import services
from logistics.models import CustomsProfile, Parcel
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal


def test_channel_choices_say_which_items_a_channel_refuses(owner_client, company):
    earbuds = StockItemFactory(company=company, restricted_goods=["battery_built_in"])
    AddressFactory(company=company)
    plain = channel_with_zone(carrier="DHL", name="Express Worldwide")
    channel_with_zone(carrier="SF", name="Battery line", accepted_hazards=["battery_built_in"])
    page = owner_client.get(reverse("logistics:parcel-create"))
    reason = f"does not carry battery built into the device (items #{earbuds.pk})"
    assert f"DHL Express Worldwide · {reason}" in page.text
    assert "SF Battery line</option>" in page.text

    address = AddressFactory(company=company)
    refused = owner_client.post(
        reverse("logistics:parcel-create"),
        {"items": [earbuds.pk], "destination": address.pk, "channel": plain.pk},
    )
    assert refused.status_code == 200
    assert "DHL Express Worldwide does not carry" in refused.text
    assert not Parcel.objects.exists()


def test_parcel_page_states_the_charge_before_packing_is_requested(owner_client, company, owner):
    item = StockItemFactory(company=company, description_zh="陶瓷杯")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company, country="GB"),
        channel=channel_with_zone(),
        item_ids=[item.pk],
        insured_value=D("100"),
    )
    stated = services.parcel_packing_charge(parcel=parcel)
    page = owner_client.get(reverse("logistics:parcel-detail", args=[parcel.pk]))
    assert f"Requesting packing takes {stated.total} USD from your wallet now." in page.text
    assert f"Insurance: {stated.insurance} USD" in page.text
    assert "陶瓷杯" in page.text
    assert "691200" in page.text
    assert "United Kingdom: goods up to GBP 135" in page.text
    assert "Add your VAT number in your customs details." in page.text

    owner_client.post(reverse("logistics:parcel-request-packing", args=[parcel.pk]))
    parcel.refresh_from_db()
    assert sum(charge.amount for charge in parcel.charges.all()) == stated.total


def test_merchant_chooses_the_declaration_currency(owner_client, company, owner):
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[StockItemFactory(company=company).pk],
    )
    owner_client.post(
        reverse("logistics:parcel-declaration-currency", args=[parcel.pk]), {"currency": "EUR"}
    )
    parcel.refresh_from_db()
    assert parcel.declared_currency == "EUR"
    assert (
        "values in EUR"
        in owner_client.get(reverse("logistics:parcel-detail", args=[parcel.pk])).text
    )


def test_customs_details_are_stored_and_checked(owner_client, company):
    url = reverse("logistics:customs-profile")
    refused = owner_client.post(url, {"ioss_number": "IM1", "eori_number": ""})
    assert "An IOSS number is IM followed by ten digits." in refused.text
    owner_client.post(
        url,
        {
            "ioss_number": "IM0123456789",
            "eori_number": "GB123456789000",
            "vat_number": "GB123456789",
            "importer_name": "Acme Trading LLC",
            "importer_address": "1 Main St",
            "brand_name": "Acme",
        },
    )
    profile = CustomsProfile.objects.get(company=company)
    assert (profile.ioss_number, profile.eori_number) == ("IM0123456789", "GB123456789000")


def test_documents_are_company_scoped(
    owner_client, company, owner, other_company, member_of, django_capture_on_commit_callbacks
):
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[StockItemFactory(company=company).pk],
    )
    url = reverse("logistics:parcel-document", args=[parcel.pk, "commercial_invoice"])
    with django_capture_on_commit_callbacks(execute=True):
        queued = owner_client.get(url, follow=True)  # built by the exports queue on commit
    assert "is being prepared" in queued.text
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    stranger = member_of(other_company)
    owner_client.force_login(stranger)
    assert owner_client.get(url).status_code == 404

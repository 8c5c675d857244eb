"""Parcel PDFs: rendered with WeasyPrint on the exports queue, read back."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from logistics import services
from logistics.exceptions import LogisticsError
from logistics.models import Address, Parcel, ParcelDocument
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal
KIND = ParcelDocument.Kind


def pdf_text(document: ParcelDocument) -> str:
    document.file.open("rb")
    try:
        reader = PdfReader(io.BytesIO(document.file.read()))
    finally:
        document.file.close()
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def packed(company, owner, warehouse):
    """A dropship parcel to Germany on a postal channel, packed in two boxes."""
    services.customs_profile_save(
        company=company,
        ioss_number="IM0123456789",
        importer_name="Nordhaus Einrichtung GmbH",
        brand_name="Nordhaus Home",
    )
    channel = channel_with_zone(
        countries=["DE"], is_postal=True, accepted_hazards=["battery_built_in"]
    )
    earbuds = StockItemFactory(
        company=company,
        warehouse=warehouse,
        description="Wireless earbuds x 10",
        description_zh="蓝牙耳机",
        hs_code="851830",
        restricted_goods=["battery_built_in"],
        unit_value=D("42.00"),
        quantity=10,
    )
    address = AddressFactory(
        company=company, country="DE", kind=Address.Kind.END_CUSTOMER, postcode="10115"
    )
    parcel = services.parcel_create(
        company=company, actor=owner, destination=address, channel=channel, item_ids=[earbuds.pk]
    )
    services.declaration_currency_set(parcel=parcel, actor=owner, currency="EUR")
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    return services.parcel_pack(
        parcel=parcel,
        actor=owner,
        boxes=[
            services.Box(D("0.8"), D("20"), D("15"), D("10")),
            services.Box(D("0.6"), D("20"), D("15"), D("10")),
        ],
    )


def build(parcel, kind, django_capture_on_commit_callbacks, language="en"):
    with django_capture_on_commit_callbacks(execute=True):
        document = services.parcel_document_request(parcel=parcel, kind=kind, language=language)
    document.refresh_from_db()
    return document


def test_each_document_renders_with_its_figures_and_chinese(
    packed, django_capture_on_commit_callbacks
):
    line = packed.declaration.get()
    value = f"{line.declared_value}"
    documents = {
        kind: build(packed, kind, django_capture_on_commit_callbacks)
        for kind in (KIND.COMMERCIAL_INVOICE, KIND.PACKING_LIST, KIND.CN23, KIND.PACKING_SLIP)
    }
    assert all(doc.status == ParcelDocument.Status.READY for doc in documents.values())

    invoice = pdf_text(documents[KIND.COMMERCIAL_INVOICE])
    assert "Commercial invoice" in invoice
    assert packed.reference in invoice
    assert "蓝牙耳机" in invoice
    assert "851830" in invoice
    assert f"{value} EUR" in invoice
    assert "IM0123456789" in invoice
    assert "Nordhaus Einrichtung GmbH" in invoice

    packing_list = pdf_text(documents[KIND.PACKING_LIST])
    assert "蓝牙耳机" in packing_list
    assert "0.800" in packing_list
    assert "0.600" in packing_list
    assert "1.400" in packing_list  # the boxes' total, the gross weight
    assert value not in packing_list

    cn23 = pdf_text(documents[KIND.CN23])
    assert "CN 23" in cn23
    assert "851830" in cn23
    assert value in cn23
    assert "Sale of goods" in cn23

    slip = pdf_text(documents[KIND.PACKING_SLIP])
    assert "Nordhaus Home" in slip
    assert "Wireless earbuds x 10" in slip
    assert value not in slip
    assert "EUR" not in slip


def test_packing_slip_in_the_merchants_chinese(packed, django_capture_on_commit_callbacks):
    slip = build(packed, KIND.PACKING_SLIP, django_capture_on_commit_callbacks, "zh-hans")
    assert slip.language == "zh-hans"
    assert slip.status == ParcelDocument.Status.READY


def test_a_document_is_kept_until_the_parcel_changes(packed, django_capture_on_commit_callbacks):
    first = build(packed, KIND.COMMERCIAL_INVOICE, django_capture_on_commit_callbacks)
    again = build(packed, KIND.COMMERCIAL_INVOICE, django_capture_on_commit_callbacks)
    assert (again.pk, again.file.name, again.built_at) == (
        first.pk,
        first.file.name,
        first.built_at,
    )
    services.parcel_ship(parcel=packed, actor=None, tracking_number="RR123456785CN")
    rebuilt = build(packed, KIND.COMMERCIAL_INVOICE, django_capture_on_commit_callbacks)
    assert rebuilt.built_at > first.built_at
    assert "RR123456785CN" in pdf_text(rebuilt)


def test_a_failed_render_leaves_the_parcel_and_tells_staff(
    company, owner, warehouse, django_capture_on_commit_callbacks
):
    item = StockItemFactory(company=company, warehouse=warehouse, unit_value=None)
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk],
    )
    document = build(parcel, KIND.COMMERCIAL_INVOICE, django_capture_on_commit_callbacks)
    assert document.status == ParcelDocument.Status.FAILED
    assert document.error.startswith("Line 1 (")
    assert "has no declared value" in document.error
    assert not document.file
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DRAFT


def test_documents_a_parcel_does_not_have_are_refused(company, owner, warehouse):
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[StockItemFactory(company=company, warehouse=warehouse).pk],
    )
    with pytest.raises(LogisticsError, match="no such document"):
        services.parcel_document_request(parcel=parcel, kind=KIND.CN23)


def test_store_connections_get_the_neutral_slip_by_parcel_id(packed):
    pdf = services.parcel_document_render(parcel_id=packed.pk, kind=KIND.PACKING_SLIP)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Nordhaus Home" in text
    assert "EUR" not in text

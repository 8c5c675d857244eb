"""Merchants correct their parcel's declaration before packing: all lines or none, through the
rule the warehouse uses, recorded in the parcel's history, the parcel's PDFs rebuilt after."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics import services
from logistics.exceptions import DeclarationRefused, LogisticsError
from logistics.models import DeclarationLine, Parcel, ParcelDocument, ParcelEvent
from procurement.accounts.models import Role
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    channel_with_zone,
    pack_form_data,
)
from tests.logistics.test_documents import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal


def make_parcel(company, owner, *, lines=2) -> Parcel:
    items = [StockItemFactory(company=company) for _ in range(lines)]
    return services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company, country="GB"),
        channel=channel_with_zone(countries=["GB"]),
        item_ids=[item.pk for item in items],
    )


def form_data(parcel: Parcel, **changes) -> dict:
    """The merchant's form as the page renders it, with `changes` ("0-hs_code": ...) typed in."""
    lines = list(parcel.declaration.order_by("position"))
    data = {
        "line-TOTAL_FORMS": str(len(lines)),
        "line-INITIAL_FORMS": str(len(lines)),
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        data |= {
            f"line-{index}-id": str(line.pk),
            f"line-{index}-description_en": line.description_en,
            f"line-{index}-description_zh": line.description_zh,
            f"line-{index}-hs_code": line.hs_code,
            f"line-{index}-origin_country": line.origin_country.code,
            f"line-{index}-declared_value": str(line.declared_value),
            f"line-{index}-value_reason": line.value_reason,
        }
    return data | {f"line-{key}": value for key, value in changes.items()}


def edit_url(parcel: Parcel) -> str:
    return reverse("logistics:parcel-declaration-edit", args=[parcel.pk])


def snapshot(parcel: Parcel) -> list[tuple]:
    return list(
        parcel.declaration.order_by("position").values_list(
            "description_en", "description_zh", "hs_code", "origin_country", "declared_value"
        )
    )


def test_merchant_corrects_every_line_and_the_history_says_who_changed_what(
    owner_client, company, owner
):
    parcel = make_parcel(company, owner)
    first, second = parcel.declaration.order_by("position")
    response = owner_client.post(
        edit_url(parcel),
        form_data(
            parcel,
            **{
                "0-description_en": "Stoneware mugs, set of 10",
                "0-description_zh": "石器马克杯",
                "0-hs_code": "6912.00.10",
                "1-origin_country": "VN",
                "1-declared_value": str(second.paid_value + 5),
            },
        ),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.description_en, first.description_zh, first.hs_code) == (
        "Stoneware mugs, set of 10",
        "石器马克杯",
        "69120010",
    )
    assert (second.origin_country.code, second.declared_value) == ("VN", second.paid_value + 5)
    notes = list(
        ParcelEvent.objects.filter(parcel=parcel, actor=owner)
        .exclude(reason="")
        .order_by("pk")
        .values_list("reason", flat=True)
    )[-2:]
    assert "Line 1 (Stoneware mugs, set of 10): " in notes[0]
    assert "HS code 691200 → 69120010" in notes[0]
    assert "country of origin CN → VN" in notes[1]
    assert f"declared at {second.paid_value + 5} USD" in notes[1]
    page = owner_client.get(reverse("logistics:parcel-detail", args=[parcel.pk]))
    assert "Declaration saved." in page.text
    assert "HS code 691200 → 69120010" in page.text  # the parcel's history


def test_a_lower_value_is_saved_with_its_reason(owner_client, company, owner):
    parcel = make_parcel(company, owner, lines=1)
    line = parcel.declaration.get()
    lower = (line.paid_value / 2).quantize(D("0.01"))
    owner_client.post(
        edit_url(parcel),
        form_data(
            parcel, **{"0-declared_value": str(lower), "0-value_reason": "Samples, not for sale"}
        ),
    )
    line.refresh_from_db()
    assert (line.declared_value, line.value_reason) == (lower, "Samples, not for sale")
    event = ParcelEvent.objects.filter(parcel=parcel).latest("pk")
    assert f"declared at {lower} USD (paid {line.paid_value}): Samples, not for sale" in (
        event.reason
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"1-hs_code": "6912"}, "hs_code", "an HS code has 6 to 12 digits."),
        ({"1-declared_value": "0"}, "declared_value", "must be greater than zero."),
        ({"1-declared_value": "0.01"}, "value_reason", "paid; give the reason."),
        ({"1-declared_value": ""}, "declared_value", "This field is required."),
    ],
)
def test_one_refused_line_saves_nothing_and_names_its_field(
    owner_client, company, owner, changes, field, message
):
    parcel = make_parcel(company, owner)
    before = snapshot(parcel)
    version = parcel.documents_version
    response = owner_client.post(
        edit_url(parcel), form_data(parcel, **{"0-hs_code": "950300"}, **changes)
    )
    assert response.status_code == 200
    assert snapshot(parcel) == before  # the valid first line is not saved either
    parcel.refresh_from_db()
    assert parcel.documents_version == version
    assert "Nothing was saved." in response.text
    errors = response.context["declaration_forms"].forms[1].errors
    assert message in " ".join(errors[field])
    assert f'id="id_line-1-{field}_error"' in response.text
    assert 'value="950300"' in response.text  # what was typed is kept


def test_service_refuses_every_bad_line_at_once(company, owner):
    parcel = make_parcel(company, owner)
    first, second = parcel.declaration.order_by("position")
    with pytest.raises(DeclarationRefused) as refused:
        services.declaration_lines_update(
            parcel=parcel,
            actor=owner,
            changes={
                first.pk: {"hs_code": "12345"},
                second.pk: {"declared_value": D("0")},
            },
        )
    assert set(refused.value.errors) == {first.pk, second.pk}
    assert refused.value.errors[first.pk]["hs_code"] == [
        f"Line 1 ({first.description_en}): an HS code has 6 to 12 digits."
    ]
    assert "declared_value" in refused.value.errors[second.pk]


def test_the_declaration_is_locked_once_packed(owner_client, company, owner):
    parcel = make_parcel(company, owner, lines=1)
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    detail = reverse("logistics:parcel-detail", args=[parcel.pk])
    assert 'id="declaration-form"' in owner_client.get(detail).text  # still open while queued
    parcel = services.parcel_pack(
        parcel=parcel,
        actor=owner,
        boxes=[
            services.Box(weight_kg=D("2.5"), length_cm=D("30"), width_cm=D("20"), height_cm=D("10"))
        ],
    )
    page = owner_client.get(detail)
    assert 'id="declaration-form"' not in page.text
    assert "its declaration is locked" in page.text
    before = snapshot(parcel)
    response = owner_client.post(
        edit_url(parcel), form_data(parcel, **{"0-hs_code": "950300"}), follow=True
    )
    assert "The declaration of a packed parcel cannot change." in response.text
    assert snapshot(parcel) == before
    with pytest.raises(LogisticsError):
        services.declaration_lines_update(
            parcel=parcel,
            actor=owner,
            changes={parcel.declaration.get().pk: {"hs_code": "950300"}},
        )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.APPROVER, Role.FINANCE])
def test_roles_that_cannot_request_packing_cannot_edit(client, company, owner, member_of, role):
    parcel = make_parcel(company, owner, lines=1)
    before = snapshot(parcel)
    client.force_login(member_of(company, role))
    page = client.get(reverse("logistics:parcel-detail", args=[parcel.pk]))
    assert page.status_code == 200
    assert 'id="declaration-form"' not in page.text
    response = client.post(edit_url(parcel), form_data(parcel, **{"0-hs_code": "950300"}))
    assert response.status_code == 403
    assert snapshot(parcel) == before


def test_buyer_may_edit(client, company, owner, member_of):
    parcel = make_parcel(company, owner, lines=1)
    client.force_login(member_of(company, Role.BUYER))
    assert (
        'id="declaration-form"'
        in client.get(reverse("logistics:parcel-detail", args=[parcel.pk])).text
    )
    client.post(edit_url(parcel), form_data(parcel, **{"0-hs_code": "950300"}))
    assert parcel.declaration.get().hs_code == "950300"


def test_another_companys_parcel_is_not_found(client, company, owner, other_company, member_of):
    parcel = make_parcel(company, owner, lines=1)
    before = snapshot(parcel)
    client.force_login(member_of(other_company, Role.OWNER))
    response = client.post(edit_url(parcel), form_data(parcel, **{"0-hs_code": "950300"}))
    assert response.status_code == 404
    assert snapshot(parcel) == before


def test_lines_of_another_parcel_are_refused(owner_client, company, owner, other_company):
    parcel = make_parcel(company, owner, lines=1)
    mine_too = make_parcel(company, owner, lines=1)
    foreign = make_parcel(other_company, owner, lines=1)
    for other in (mine_too, foreign):
        target = other.declaration.get()
        before = snapshot(other)
        data = form_data(parcel, **{"0-id": str(target.pk), "0-hs_code": "950300"})
        response = owner_client.post(edit_url(parcel), data)
        assert response.status_code == 200
        assert "Only lines of this parcel&#x27;s declaration can be changed." in response.text
        assert snapshot(other) == before
    # A form grown by a row cannot add a line either.
    data = form_data(parcel) | {
        "line-TOTAL_FORMS": "2",
        "line-1-description_en": "Smuggled",
        "line-1-declared_value": "1",
        "line-1-origin_country": "CN",
    }
    response = owner_client.post(edit_url(parcel), data)
    assert "Nothing was saved." in response.text
    assert not DeclarationLine.objects.filter(description_en="Smuggled").exists()
    # The service itself refuses a line id that is not the parcel's.
    with pytest.raises(LogisticsError, match="Only lines of this parcel"):
        services.declaration_lines_update(
            parcel=parcel,
            actor=owner,
            changes={foreign.declaration.get().pk: {"hs_code": "950300"}},
        )


def test_an_edit_rebuilds_the_parcels_pdfs(
    owner_client, company, owner, django_capture_on_commit_callbacks
):
    parcel = make_parcel(company, owner, lines=1)
    with django_capture_on_commit_callbacks(execute=True):
        document = services.parcel_document_request(parcel=parcel, kind="commercial_invoice")
    document.refresh_from_db()
    assert document.is_current
    assert "Ceramic mug set" in pdf_text(document)

    owner_client.post(
        edit_url(parcel), form_data(parcel, **{"0-description_en": "Stoneware teapot"})
    )
    document.refresh_from_db()
    assert not document.is_current  # the cached PDF is out of date
    url = reverse("logistics:parcel-document", args=[parcel.pk, "commercial_invoice"])
    with django_capture_on_commit_callbacks(execute=True):
        queued = owner_client.get(url, follow=True)
    assert "is being prepared" in queued.text
    document.refresh_from_db()
    assert document.status == ParcelDocument.Status.READY
    assert document.is_current
    assert "Stoneware teapot" in pdf_text(document)
    assert owner_client.get(url)["Content-Type"] == "application/pdf"


def test_changing_the_currency_keeps_the_merchants_corrections(owner_client, company, owner):
    parcel = make_parcel(company, owner, lines=1)
    line = parcel.declaration.get()
    lower = (line.paid_value / 2).quantize(D("0.01"))
    owner_client.post(
        edit_url(parcel),
        form_data(
            parcel,
            **{
                "0-hs_code": "950300",
                "0-description_en": "Teapot",
                "0-declared_value": str(lower),
                "0-value_reason": "Samples",
            },
        ),
    )
    owner_client.post(
        reverse("logistics:parcel-declaration-currency", args=[parcel.pk]), {"currency": "EUR"}
    )
    line = parcel.declaration.get()
    assert (line.hs_code, line.description_en, line.value_reason) == ("950300", "Teapot", "Samples")
    assert line.declared_value < line.paid_value
    assert ParcelEvent.objects.filter(parcel=parcel, reason="Declaration currency USD → EUR")


def test_the_page_costs_the_same_queries_for_one_line_or_many(owner_client, company, owner):
    small = make_parcel(company, owner, lines=1)
    large = make_parcel(company, owner, lines=6)
    owner_client.get(reverse("logistics:parcel-detail", args=[small.pk]))  # warm caches

    with CaptureQueriesContext(connection) as one:
        owner_client.get(reverse("logistics:parcel-detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as six:
        page = owner_client.get(reverse("logistics:parcel-detail", args=[large.pk]))
    assert page.text.count('name="line-') > 6 * 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_pack_page_saves_the_declaration_by_the_same_rule(client, staff_user, company, owner):
    staff_user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(staff_user)
    parcel = services.parcel_request_packing(parcel=make_parcel(company, owner), actor=owner)
    before = snapshot(parcel)
    data = pack_form_data(parcel, [("2.5", "30", "20", "10")])
    data |= {"line-0-hs_code": "950300", "line-1-hs_code": "95"}
    response = client.post(reverse("admin:logistics_parcel_pack", args=[parcel.pk]), data)
    assert response.status_code == 200
    assert "an HS code has 6 to 12 digits." in response.text
    assert snapshot(parcel) == before  # the good first line waits for the second
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED

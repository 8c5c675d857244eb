from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics import services
from logistics.models import Parcel, StockItem
from procurement.accounts.models import Role
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    channel_with_zone,
    image_upload,
)

pytestmark = pytest.mark.django_db
D = Decimal


def make_parcel(company, user, n_items=1):
    items = [StockItemFactory(company=company) for _ in range(n_items)]
    return services.parcel_create(
        company=company,
        actor=user,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk for item in items],
    )


def test_pages_need_a_signed_in_member(client):
    for name in ["stock-list", "parcel-list", "address-list", "inbound-list", "channel-compare"]:
        response = client.get(reverse(f"logistics:{name}"))
        assert response.status_code == 302
        assert "/accounts/login/" in response.url


def test_merchant_sees_only_its_own_stock(owner_client, company, other_company):
    mine = StockItemFactory(company=company, description="Our lamps")
    theirs = StockItemFactory(company=other_company, description="Their kettles")
    page = owner_client.get(reverse("logistics:stock-list"))
    assert "Our lamps" in page.text
    assert "Their kettles" not in page.text
    assert owner_client.get(reverse("logistics:stock-detail", args=[mine.pk])).status_code == 200
    assert owner_client.get(reverse("logistics:stock-detail", args=[theirs.pk])).status_code == 404


def test_merchant_sees_only_its_own_parcels(owner_client, owner, company, other_company, member_of):
    mine = make_parcel(company, owner)
    theirs = make_parcel(other_company, member_of(other_company))
    page = owner_client.get(reverse("logistics:parcel-list"))
    assert mine.reference in page.text
    assert theirs.reference not in page.text
    assert owner_client.get(reverse("logistics:parcel-detail", args=[theirs.pk])).status_code == 404
    for name in ["parcel-request-packing", "parcel-cancel"]:
        assert owner_client.post(reverse(f"logistics:{name}", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Parcel.Status.DRAFT


def test_merchant_sees_only_its_own_inbound_parcels(
    owner_client, company, other_company, warehouse
):
    from tests.accounts.factories import MembershipFactory

    theirs = services.inbound_declare(
        company=other_company,
        actor=MembershipFactory(company=other_company).user,
        warehouse=warehouse,
        carrier="SF",
        tracking_number="THEIRS1",
        contents="Secret stuff",
        declared_value=D(1),
    )
    page = owner_client.get(reverse("logistics:inbound-list"))
    assert "THEIRS1" not in page.text
    response = owner_client.post(reverse("logistics:inbound-cancel", args=[theirs.pk]))
    assert response.status_code == 404


def test_channel_compare_full_page_and_htmx_fragment(owner_client, cny_usd):
    channel_with_zone(name="Priority")
    channel_with_zone(name="Batteries-free", countries=["FR"])
    params = {
        "destination": "US",
        "weight_kg": "1.2",
        "length_cm": "30",
        "width_cm": "20",
        "height_cm": "10",
    }
    url = reverse("logistics:channel-compare")
    page = owner_client.get(url, params)
    assert page.status_code == 200
    assert "<html" in page.text
    assert "160.00 CNY" in page.text
    assert "22.40 USD" in page.text
    assert "Does not deliver to this destination." in page.text
    fragment = owner_client.get(url, params, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.strip().startswith('<section id="channel-results"')
    assert "22.40 USD" in fragment.text


def test_channel_compare_refuses_bad_input_with_messages(owner_client):
    page = owner_client.get(
        reverse("logistics:channel-compare"), {"destination": "US", "weight_kg": "-1"}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["weight_kg"]
    assert page.context["quotes"] is None


def test_pick_items_into_a_parcel_and_request_packing(owner_client, company, cny_usd):
    first, second = (StockItemFactory(company=company) for _ in range(2))
    address = AddressFactory(company=company)
    channel = channel_with_zone()
    response = owner_client.post(
        reverse("logistics:parcel-create"),
        {
            "items": [first.pk, second.pk],
            "destination": address.pk,
            "channel": channel.pk,
            "insured_value": "",
        },
    )
    assert response.status_code == 302
    parcel = Parcel.objects.get()
    detail = owner_client.get(response.url)
    assert "220.00 CNY" in detail.text  # the live estimate on the draft
    response = owner_client.post(reverse("logistics:parcel-request-packing", args=[parcel.pk]))
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED
    services.parcel_pack(
        parcel=parcel,
        actor=None,
        weight_kg=D("2.9"),
        length_cm=D("30"),
        width_cm=D("20"),
        height_cm=D("20"),
    )
    detail = owner_client.get(reverse("logistics:parcel-detail", args=[parcel.pk]))
    assert "Estimated" in detail.text
    assert "Actual (packed)" in detail.text
    for figure in ["220.00", "250.00", "30.00", "30.80", "35.00", "4.20"]:
        assert figure in detail.text


def test_viewer_cannot_create_parcels(client, company, member_of):
    client.force_login(member_of(company, Role.VIEWER))
    assert client.get(reverse("logistics:parcel-list")).status_code == 200
    assert client.get(reverse("logistics:parcel-create")).status_code == 403
    assert client.get(reverse("logistics:address-create")).status_code == 403


def test_cancel_from_the_page(owner_client, owner, company):
    parcel = make_parcel(company, owner)
    owner_client.post(reverse("logistics:parcel-cancel", args=[parcel.pk]))
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.CANCELLED
    assert StockItem.objects.filter(status=StockItem.Status.IN_STOCK).count() == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize("name", ["stock-list", "parcel-list", "address-list", "inbound-list"])
def test_list_pages_use_a_constant_number_of_queries(name, owner_client, owner, company, warehouse):
    def add_rows():
        item = services.stock_receive(
            company=company,
            warehouse=warehouse,
            description="Mugs",
            quantity=1,
            weight_kg=D(1),
            length_cm=D(10),
            width_cm=D(10),
            height_cm=D(10),
            source_reference="po:1",
            photos=[image_upload()],
        )
        make_parcel(company, owner, n_items=2)
        AddressFactory(company=company)
        services.inbound_declare(
            company=company,
            actor=owner,
            warehouse=warehouse,
            carrier="SF",
            tracking_number=f"SF{item.pk}",
            contents="Cups",
            declared_value=D(5),
        )

    url = reverse(f"logistics:{name}")
    add_rows()
    _queries(owner_client, url)  # warm up: the session and the middleware's first lookups
    one = _queries(owner_client, url)
    for _ in range(4):
        add_rows()
    assert _queries(owner_client, url) == one

"""The storage location (bin) of goods: entered when they are received, changed on the stock
item, written one way, and read by the pick list on the pack page."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from logistics import services
from logistics.models import InboundParcel, StockItem
from logistics.models.stock import bin_location_clean
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def warehouse_client(client, staff_user):
    staff_user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(staff_user)
    return client


@pytest.fixture
def inbound(company, owner, warehouse):
    company.uses_forwarding = True
    company.save(update_fields=["uses_forwarding"])
    return services.inbound_declare(
        company=company,
        actor=owner,
        warehouse=warehouse,
        carrier="ZTO",
        tracking_number="ZT445566",
        contents="Knitted hats",
        declared_value=D("40"),
    )


def receive_data(**changes) -> dict:
    return {
        "quantity": "12",
        "weight_kg": "2.5",
        "length_cm": "40",
        "width_cm": "30",
        "height_cm": "20",
        "inspection_summary": "All good",
        **changes,
    }


def change_form_data(page, **changes) -> dict:
    """The stock item's admin form as rendered (with its photo inline), `changes` typed in."""
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = str(management[name].value())
    return data | changes


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("a-03-2", "A-03-2"), ("  b 07 3 ", "B-07-3"), ("C12", "C12"), ("", ""), ("   ", "")],
)
def test_a_bin_is_written_one_way(typed, stored):
    assert bin_location_clean(typed) == stored


@pytest.mark.parametrize("typed", ["A_03", "A--03", "-A", "A/3", "架子1", "A" * 41])
def test_a_bin_of_another_shape_is_refused(typed):
    with pytest.raises(ValidationError):
        bin_location_clean(typed)


def test_staff_enter_the_bin_when_receiving_and_the_pick_list_shows_it(
    warehouse_client, company, owner, inbound
):
    url = reverse("admin:logistics_inboundparcel_receive", args=[inbound.pk])
    assert 'name="bin_location"' in warehouse_client.get(url).text
    response = warehouse_client.post(url, receive_data(bin_location=" k 12 4 "))
    assert response.status_code == 302, response.content
    item = company.stock_items.get()
    assert item.bin_location == "K-12-4"

    other = StockItemFactory(company=company, warehouse=item.warehouse, bin_location="A-01-1")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk, other.pk],
    )
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    pick_list = warehouse_client.get(reverse("admin:logistics_parcel_pack", args=[parcel.pk]))
    assert pick_list.status_code == 200
    # Picked in bin order: A-01-1 before K-12-4.
    assert pick_list.text.index("A-01-1") < pick_list.text.index("K-12-4")


def test_the_bin_is_optional_at_receiving(warehouse_client, company, inbound):
    url = reverse("admin:logistics_inboundparcel_receive", args=[inbound.pk])
    assert warehouse_client.post(url, receive_data()).status_code == 302
    assert company.stock_items.get().bin_location == ""


def test_a_bin_of_another_shape_is_refused_at_receiving_and_nothing_is_received(
    warehouse_client, company, inbound
):
    url = reverse("admin:logistics_inboundparcel_receive", args=[inbound.pk])
    response = warehouse_client.post(url, receive_data(bin_location="A_03/2"))
    assert response.status_code == 200
    assert "letters and digits in groups joined by hyphens" in response.text
    inbound.refresh_from_db()
    assert inbound.status == InboundParcel.Status.DECLARED
    assert not company.stock_items.exists()


def test_services_write_the_bin_one_way_for_every_caller(company, owner, warehouse, inbound):
    item = services.inbound_receive(
        inbound=inbound,
        actor=owner,
        quantity=3,
        weight_kg=D("1"),
        length_cm=D("10"),
        width_cm=D("10"),
        height_cm=D("10"),
        bin_location="d 4",
    )
    assert item.bin_location == "D-4"
    with pytest.raises(ValidationError) as refused:
        services.stock_receive(
            company=company,
            warehouse=warehouse,
            description="Scarves",
            quantity=1,
            weight_kg=D("1"),
            length_cm=D("10"),
            width_cm=D("10"),
            height_cm=D("10"),
            source_reference="po:9",
            bin_location="A_1",
        )
    assert "bin_location" in refused.value.message_dict
    assert not StockItem.objects.filter(source_reference="po:9").exists()


def test_staff_move_goods_to_another_bin_on_the_stock_item(
    warehouse_client, company, owner, warehouse
):
    item = StockItemFactory(company=company, warehouse=warehouse, bin_location="A-01-1")
    url = reverse("admin:logistics_stockitem_change", args=[item.pk])
    page = warehouse_client.get(url)
    refused = warehouse_client.post(url, change_form_data(page, bin_location="A 01_1"))
    assert refused.status_code == 200
    assert "letters and digits in groups joined by hyphens" in refused.text
    item.refresh_from_db()
    assert item.bin_location == "A-01-1"

    moved = warehouse_client.post(url, change_form_data(page, bin_location=" c 02 5 "))
    assert moved.status_code == 302, moved.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.bin_location == "C-02-5"
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk],
    )
    parcel = services.parcel_request_packing(parcel=parcel, actor=owner)
    pick_list = warehouse_client.get(reverse("admin:logistics_parcel_pack", args=[parcel.pk]))
    assert "C-02-5" in pick_list.text


def test_staff_without_the_warehouse_group_cannot_move_goods(client, staff_user, company):
    staff_user.groups.add(Group.objects.get(name="Account managers"))
    client.force_login(staff_user)
    item = StockItemFactory(company=company, bin_location="A-01-1")
    url = reverse("admin:logistics_stockitem_change", args=[item.pk])
    page = client.get(url)
    assert page.status_code == 200  # they may look
    response = client.post(url, {"bin_location": "Z-9"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.bin_location == "A-01-1"

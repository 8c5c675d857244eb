"""Part of a stock item split off into a row of its own, and the units a company holds of a
product taken from stock for a parcel (one warehouse, oldest first, split when needed)."""

from decimal import Decimal

import pytest

from logistics import services
from logistics.exceptions import LogisticsError, StockUnavailable
from logistics.models import Parcel, StockItem, StockPhoto
from logistics.services import StockWant
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _item(company, warehouse, **kwargs):
    fields = {
        "description": "Ceramic mug x 10",
        "quantity": 10,
        "weight_kg": D("1.000"),
        "height_cm": D("10"),
        "sku_reference": "sku:1",
        "product_reference": "product:1",
        "receipt_key": "po:1:line:1",
    }
    fields.update(kwargs)
    return StockItemFactory(company=company, warehouse=warehouse, **fields)


def test_a_split_makes_two_rows_whose_quantities_and_weights_sum(company, warehouse):
    item = _item(company, warehouse, weight_kg=D("1.000"))
    StockPhoto.objects.create(item=item, image="a.jpg", thumbnail="a-t.jpg", caption="front")
    part = services.stock_item_split(item=item, quantity=3)
    item.refresh_from_db()
    assert (part.quantity, item.quantity) == (3, 7)
    assert part.weight_kg + item.weight_kg == D("1.000")
    assert part.weight_kg == D("0.300")
    assert part.height_cm == D("3.0")
    assert item.height_cm == D("7.0")
    assert (part.length_cm, part.width_cm) == (item.length_cm, item.width_cm)
    assert part.description == "Ceramic mug x 3"
    assert item.description == "Ceramic mug x 7"
    # The copy keeps what customs and stock need, not the receipt key of the goods received.
    assert part.receipt_key is None
    assert item.receipt_key == "po:1:line:1"
    for name in ("sku_reference", "product_reference", "source_reference", "hs_code", "unit_value"):
        assert getattr(part, name) == getattr(item, name)
    assert part.status == StockItem.Status.IN_STOCK
    assert part.parcel is None
    assert [p.caption for p in part.photos.all()] == ["front"]
    assert StockItem.objects.count() == 2


def test_weights_that_do_not_divide_still_sum_exactly(company, warehouse):
    item = _item(company, warehouse, quantity=3, weight_kg=D("0.100"), description="Pin")
    part = services.stock_item_split(item=item, quantity=1)
    item.refresh_from_db()
    assert part.weight_kg == D("0.033")
    assert part.weight_kg + item.weight_kg == D("0.100")
    assert part.description == "Pin"  # no count in it to keep true


@pytest.mark.parametrize("quantity", [0, 10, 11, -1])
def test_a_split_takes_at_least_one_unit_and_leaves_one(company, warehouse, quantity):
    item = _item(company, warehouse)
    with pytest.raises(LogisticsError, match="between 1 and 9"):
        services.stock_item_split(item=item, quantity=quantity)
    assert StockItem.objects.count() == 1


def test_an_item_too_light_to_split_is_refused(company, warehouse):
    item = _item(company, warehouse, weight_kg=D("0.001"))
    with pytest.raises(LogisticsError, match="too little"):
        services.stock_item_split(item=item, quantity=2)


def test_an_item_in_a_parcel_is_not_split(company, owner, warehouse):
    item = _item(company, warehouse)
    services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[item.pk],
    )
    with pytest.raises(StockUnavailable):
        services.stock_item_split(item=item, quantity=2)


def test_allocation_takes_the_oldest_units_first_and_splits_the_last(company, warehouse):
    old = _item(company, warehouse, quantity=4, receipt_key="a")
    new = _item(company, warehouse, quantity=5, receipt_key="b")
    StockItem.objects.filter(pk=old.pk).update(arrived_at=old.arrived_at.replace(year=2020))
    [taken] = services.stock_allocate(company=company, wants=[StockWant("product:1", "sku:1", 6)])
    assert taken.quantity == 6
    assert taken.items[0].pk == old.pk
    assert taken.items[1].quantity == 2
    assert taken.items[1].pk not in (old.pk, new.pk)
    new.refresh_from_db()
    assert new.quantity == 3


def test_allocation_ignores_other_skus_companies_parcels_and_excluded_sources(
    company, other_company, owner, warehouse
):
    _item(company, warehouse, sku_reference="sku:2", receipt_key="a")
    _item(other_company, warehouse, receipt_key="b")
    bought = _item(company, warehouse, receipt_key="c", source_reference="po:77")
    parcelled = _item(company, warehouse, receipt_key="d")
    services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[parcelled.pk],
    )
    [taken] = services.stock_allocate(
        company=company, wants=[StockWant("product:1", "sku:1", 3)], exclude_sources=["po:77"]
    )
    assert taken.quantity == 0
    [taken] = services.stock_allocate(company=company, wants=[StockWant("product:1", "sku:1", 3)])
    assert [item.quantity for item in taken.items] == [3]
    bought.refresh_from_db()
    assert bought.quantity == 7


def test_a_product_without_skus_matches_by_product_only(company, warehouse):
    plain = _item(company, warehouse, sku_reference="", receipt_key="a")
    _item(company, warehouse, receipt_key="b")  # a SKU of the same product
    [taken] = services.stock_allocate(company=company, wants=[StockWant("product:1", "", 10)])
    assert [item.pk for item in taken.items] == [plain.pk]


def test_allocation_takes_from_the_warehouse_holding_most(company, warehouse):
    other = WarehouseFactory(code="ngb", name="Ningbo")
    _item(company, warehouse, quantity=2, receipt_key="a")
    big = _item(company, other, quantity=8, receipt_key="b")
    [taken] = services.stock_allocate(company=company, wants=[StockWant("product:1", "sku:1", 5)])
    assert {item.warehouse_id for item in taken.items} == {big.warehouse_id}
    assert taken.quantity == 5


def test_items_added_to_a_draft_parcel_are_reserved_and_declared(company, owner, warehouse):
    first = _item(company, warehouse, receipt_key="a", hs_code="691200")
    second = _item(company, warehouse, receipt_key="b", product_reference="product:2")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[first.pk],
        customer_reference="#1001",
        brand_name="Nordhaus",
    )
    services.parcel_items_add(parcel=parcel, actor=owner, item_ids=[second.pk])
    second.refresh_from_db()
    assert second.parcel_id == parcel.pk
    assert second.status == StockItem.Status.RESERVED
    assert parcel.declaration.count() == 2
    assert parcel.events.last().reason == "1 item added"
    with pytest.raises(StockUnavailable):
        services.parcel_items_add(parcel=parcel, actor=owner, item_ids=[second.pk])
    Parcel.objects.filter(pk=parcel.pk).update(status=Parcel.Status.PACKING_REQUESTED)
    third = _item(company, warehouse, receipt_key="c")
    with pytest.raises(LogisticsError, match="draft only"):
        services.parcel_items_add(parcel=parcel, actor=owner, item_ids=[third.pk])


def test_items_of_another_warehouse_or_company_are_not_added(
    company, other_company, owner, warehouse
):
    first = _item(company, warehouse, receipt_key="a")
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        item_ids=[first.pk],
    )
    elsewhere = _item(company, WarehouseFactory(code="ngb"), receipt_key="b")
    with pytest.raises(LogisticsError, match="same warehouse"):
        services.parcel_items_add(parcel=parcel, actor=owner, item_ids=[elsewhere.pk])
    theirs = _item(other_company, warehouse, receipt_key="c")
    with pytest.raises(StockUnavailable):
        services.parcel_items_add(parcel=parcel, actor=owner, item_ids=[theirs.pk])


def test_only_a_parcel_to_an_end_customer_carries_a_slip(company, owner, warehouse):
    from logistics.models import Address

    forwarder = AddressFactory(company=company, kind=Address.Kind.FORWARDER, country="CN")
    with pytest.raises(LogisticsError, match="end customer"):
        services.parcel_create(
            company=company,
            actor=owner,
            destination=forwarder,
            channel=channel_with_zone(countries=["CN"]),
            item_ids=[_item(company, warehouse).pk],
            customer_reference="#1",
        )


def test_allocation_answers_every_want_in_order_even_for_nothing(company, warehouse):
    _item(company, warehouse, quantity=4)
    wants = [StockWant("product:1", "sku:1", 0), StockWant("product:1", "sku:1", 3)]
    taken = services.stock_allocate(company=company, wants=wants)
    assert [part.want for part in taken] == wants
    assert [part.quantity for part in taken] == [0, 3]
    assert services.stock_allocate(company=company, wants=wants[:1])[0].items == ()

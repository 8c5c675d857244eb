"""Stock first: what the merchant already holds in our warehouse ships from stock, only the
rest is bought; an order the stock covers whole buys nothing and pays only its freight. The
parcel carries the store's order number and brand on its neutral packing slip."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from logistics import services as logistics_services
from logistics.models import FreightCharge, Parcel, ParcelDocument, StockItem
from orders import services as order_services
from orders.models import CHECKLIST, Order
from orders.stores import services
from orders.stores.models import StoreConnection, StoreOrder
from payments import selectors as payments_selectors
from payments.models import LedgerTransaction
from tests.api.factories import api_token, bearer
from tests.logistics.factories import StockItemFactory, WarehouseFactory
from tests.orders.stores.conftest import SHOP, shop_line
from tests.orders.stores.test_lifecycle import MEASURES, _receive, _shop_order

SO = StoreOrder.Status
PS = Parcel.Status


def _stock(company, sku, quantity, **kwargs):
    fields = {
        "warehouse": WarehouseFactory(),
        "product_reference": f"product:{sku.product_id}",
        "sku_reference": f"sku:{sku.pk}",
        "quantity": quantity,
        "description": f"{sku.product.title_en} x {quantity}",
        "weight_kg": Decimal("0.400") * quantity,
        "length_cm": Decimal("10"),
        "width_cm": Decimal("10"),
        "height_cm": Decimal("10") * quantity,
    }
    fields.update(kwargs)
    return StockItemFactory(company=company, **fields)


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency="USD")


def _paid_for(parcel):
    return sum(
        (charge.amount for charge in FreightCharge.objects.filter(parcel=parcel)), Decimal(0)
    )


def _brand(connection, name):
    StoreConnection.objects.filter(pk=connection.pk).update(brand_name=name)
    connection.refresh_from_db()


# --- everything in stock ---------------------------------------------------------------------


def test_an_order_the_stock_covers_buys_nothing_and_pays_only_its_freight(
    client, shop_connection, shopify, goods, wallet, company, owner
):
    _product, skus = goods
    item = _stock(company, skus[0], 5)
    before = _balance(company)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    assert store_order.status == SO.PACKED, store_order.reason
    assert "from your stock" in store_order.reason
    assert store_order.order is None
    assert not Order.objects.exists()
    assert not LedgerTransaction.objects.filter(reference__startswith="order:").exists()
    parcel = Parcel.objects.get(pk=store_order.parcel_id)
    assert parcel.status == PS.PACKING_REQUESTED
    assert parcel.channel == shop_connection.shipping_channel
    assert parcel.is_dropship
    assert parcel.customer_reference == store_order.number
    [shipped] = parcel.items.all()
    assert shipped.quantity == 2
    assert shipped.pk != item.pk
    item.refresh_from_db()
    assert (item.quantity, item.status) == (3, StockItem.Status.IN_STOCK)
    # The goods were paid when they were bought: the wallet pays the freight, nothing else.
    assert before - _balance(company) == _paid_for(parcel) > 0
    assert store_order.allocation == [
        {
            "product_id": skus[0].product_id,
            "sku_id": skus[0].pk,
            "description": store_order.allocation[0]["description"],
            "quantity": 2,
            "from_stock": 2,
            "purchased": 0,
        }
    ]
    api = client.get(
        f"/api/v1/stores/{shop_connection.pk}/orders",
        **bearer(api_token(company, owner=owner)),
    )
    assert api.json()["items"][0]["allocation"] == store_order.allocation


def test_without_auto_pay_the_stock_parcel_waits_for_the_merchant(
    client, shop_connection, shopify, goods, wallet, company, owner
):
    StoreConnection.objects.filter(pk=shop_connection.pk).update(auto_pay=False)
    _product, skus = goods
    _stock(company, skus[0], 2)
    before = _balance(company)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    assert store_order.status == SO.AWAITING_APPROVAL
    parcel = store_order.parcel
    assert parcel.status == PS.DRAFT
    assert f"request packing of parcel {parcel.reference}" in store_order.reason
    assert _balance(company) == before
    # The whole item was taken: no split.
    assert StockItem.objects.count() == 1
    logistics_services.parcel_request_packing(parcel=parcel, actor=owner)
    store_order = services.store_order_sync(store_order=store_order)
    assert store_order.status == SO.PACKED
    assert before - _balance(company) == _paid_for(parcel)


def test_freight_above_the_limit_waits_and_charges_nothing(
    client, shop_connection, shopify, goods, wallet, company
):
    StoreConnection.objects.filter(pk=shop_connection.pk).update(auto_pay_limit=Decimal("0.01"))
    _product, skus = goods
    _stock(company, skus[0], 1)
    before = _balance(company)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.AWAITING_APPROVAL
    assert "above your auto-pay limit" in store_order.reason
    assert store_order.parcel.status == PS.DRAFT
    assert _balance(company) == before


def test_a_cancelled_stock_parcel_holds_the_order_and_a_retry_takes_stock_again(
    client, shop_connection, shopify, goods, wallet, company, owner
):
    StoreConnection.objects.filter(pk=shop_connection.pk).update(auto_pay=False)
    _product, skus = goods
    _stock(company, skus[0], 4)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 1)])
    first = store_order.parcel
    logistics_services.parcel_cancel(parcel=first, actor=owner, reason="Changed my mind")
    store_order = services.store_order_sync(store_order=store_order)
    assert store_order.status == SO.HELD
    assert first.reference in store_order.reason
    assert store_order.parcel is None
    assert sum(StockItem.objects.filter(status="in_stock").values_list("quantity", flat=True)) == 4
    store_order = services.store_order_retry(store_order=store_order)
    assert store_order.status == SO.AWAITING_APPROVAL
    assert store_order.parcel_id not in (None, first.pk)


def test_cancelled_in_the_store_before_packing_gives_the_units_and_freight_back(
    client, shop_connection, shopify, goods, wallet, company
):
    _product, skus = goods
    item = _stock(company, skus[0], 3)
    before = _balance(company)
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 3)])
    assert store_order.status == SO.PACKED
    assert _balance(company) < before
    shopify.cancel_order(SHOP, order["id"])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/cancelled", order["id"]))
    store_order.refresh_from_db()
    assert store_order.status == SO.CANCELLED
    assert store_order.parcel.status == PS.CANCELLED
    item.refresh_from_db()
    assert item.status == StockItem.Status.IN_STOCK
    assert item.quantity == 3
    assert _balance(company) == before


def test_cancelled_in_the_store_after_packing_is_refused_with_the_reason(
    client, shop_connection, shopify, goods, wallet, company, warehouse_staff
):
    _product, skus = goods
    _stock(company, skus[0], 1, hs_code="392410")
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    logistics_services.parcel_pack(parcel=store_order.parcel, actor=warehouse_staff, **MEASURES)
    shopify.cancel_order(SHOP, order["id"])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/cancelled", order["id"]))
    store_order.refresh_from_db()
    assert store_order.status == SO.PACKED
    assert store_order.reason == "Cancelled in the store, but the parcel is already packed."


def test_a_stock_order_ships_and_pushes_its_tracking(
    client,
    shop_connection,
    shopify,
    goods,
    wallet,
    company,
    warehouse_staff,
    django_capture_on_commit_callbacks,
):
    _product, skus = goods
    _stock(company, skus[0], 1, hs_code="392410")
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    parcel = logistics_services.parcel_pack(
        parcel=store_order.parcel, actor=warehouse_staff, **MEASURES
    )
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number="ST1")
    store_order.refresh_from_db()
    assert store_order.status == SO.TRACKING_PUSHED
    assert shopify.shops[SHOP].fulfillments[str(order["id"])][0]["trackingInfo"]["number"] == "ST1"


# --- part in stock, the rest bought ----------------------------------------------------------


def _bought_and_stocked(store_order, account_manager, warehouse_staff, warehouse):
    po = store_order.order.purchase_orders.get()
    order_services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-9",
        actual_total_cny=po.expected_total_cny,
    )
    order_services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF1")
    order_services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=warehouse)
    for line in po.lines.all():
        order_services.purchase_order_line_inspect(
            line=line,
            actor=warehouse_staff,
            checklist=dict.fromkeys(CHECKLIST, True),
            photos=[],
            **MEASURES,
        )
    return po


def test_part_in_stock_is_reserved_and_only_the_rest_is_bought(
    client, shop_connection, shopify, goods, wallet, company, account_manager, warehouse_staff
):
    product, skus = goods
    product.hs_code = "392410"
    product.save(update_fields=["hs_code"])
    item = _stock(company, skus[0], 1)
    _other = _stock(company, skus[1], 5, warehouse=item.warehouse)
    _order, store_order = _shop_order(
        client, shop_connection, shopify, [shop_line(skus[0], 3), shop_line(skus[1], 2)]
    )
    assert store_order.status == SO.PAID, store_order.reason
    rows = {row["sku_id"]: (row["from_stock"], row["purchased"]) for row in store_order.allocation}
    assert rows == {skus[0].pk: (1, 2), skus[1].pk: (2, 0)}
    # Only the missing units were bought, and paid.
    assert {line.sku_id: line.quantity for line in store_order.order.lines.all()} == {skus[0].pk: 2}
    draft = store_order.parcel
    assert draft.status == PS.DRAFT
    assert draft.customer_reference == store_order.number
    assert sorted(i.quantity for i in draft.items.all()) == [1, 2]
    # The purchased goods arrive: they join the parcel, which goes to packing.
    store_order = services.store_order_sync(store_order=store_order)
    _bought_and_stocked(store_order, account_manager, warehouse_staff, item.warehouse)
    store_order = services.store_order_sync(store_order=store_order)
    assert store_order.status == SO.PACKED, store_order.reason
    assert store_order.parcel_id == draft.pk
    draft.refresh_from_db()
    assert draft.status == PS.PACKING_REQUESTED
    assert sorted(i.quantity for i in draft.items.all()) == [1, 2, 2]


def test_goods_bought_for_another_waiting_store_order_are_not_taken(
    client, shop_connection, shopify, goods, wallet, company, account_manager, warehouse_staff
):
    _product, skus = goods
    warehouse = WarehouseFactory()
    _first, waiting = _shop_order(
        client, shop_connection, shopify, [shop_line(skus[0], 2), shop_line(skus[1], 1)]
    )
    po = waiting.order.purchase_orders.get()
    # Half of the first order's goods are in the warehouse, waiting for the rest.
    order_services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-3",
        actual_total_cny=po.expected_total_cny,
    )
    order_services.purchase_order_ship(po=po, actor=account_manager, tracking_number="SF1")
    order_services.purchase_order_receive(po=po, actor=warehouse_staff, warehouse=warehouse)
    line = po.lines.get(sku=skus[0])
    order_services.purchase_order_line_inspect(
        line=line,
        actor=warehouse_staff,
        checklist=dict.fromkeys(CHECKLIST, True),
        photos=[],
        **MEASURES,
    )
    assert StockItem.objects.filter(source_reference=po.reference).exists()
    _second, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 1)])
    assert store_order.allocation[0]["from_stock"] == 0
    assert store_order.order is not None
    assert store_order.parcel is None


def test_cancelled_before_purchase_releases_the_reserved_units(
    client, shop_connection, shopify, goods, wallet, company
):
    _product, skus = goods
    item = _stock(company, skus[0], 1)
    before = _balance(company)
    order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    assert store_order.status == SO.PAID
    shopify.cancel_order(SHOP, order["id"])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/cancelled", order["id"]))
    store_order.refresh_from_db()
    assert store_order.status == SO.CANCELLED
    assert store_order.order.status == Order.Status.REFUNDED
    assert store_order.parcel.status == PS.CANCELLED
    item.refresh_from_db()
    assert item.status == StockItem.Status.IN_STOCK
    assert _balance(company) == before


def test_another_companys_stock_is_never_taken(
    client, shop_connection, shopify, goods, wallet, other_company
):
    _product, skus = goods
    theirs = _stock(other_company, skus[0], 9)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    assert store_order.allocation[0]["from_stock"] == 0
    assert store_order.parcel is None
    theirs.refresh_from_db()
    assert theirs.quantity == 9
    assert theirs.status == StockItem.Status.IN_STOCK


def test_goods_the_channel_does_not_carry_hold_the_order_and_reserve_nothing(
    client, shop_connection, shopify, goods, wallet, company
):
    _product, skus = goods
    item = _stock(company, skus[0], 3, restricted_goods=["battery_built_in"])
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    assert store_order.status == SO.HELD
    assert "does not carry" in store_order.reason
    item.refresh_from_db()
    assert item.quantity == 3
    assert item.status == StockItem.Status.IN_STOCK
    assert StockItem.objects.count() == 1
    assert not Parcel.objects.exists()


# --- the page ----------------------------------------------------------------------------------


def test_the_store_order_page_shows_what_ships_from_stock_and_what_is_bought(
    client, owner_client, shop_connection, shopify, goods, wallet, company, other_company
):
    _product, skus = goods
    _stock(company, skus[0], 1)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 3)])
    response = owner_client.get(reverse("stores:order-detail", args=[store_order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ships from your stock" in html
    assert "Purchased" in html
    assert store_order.parcel.reference in html
    assert store_order.order.number in html
    listing = owner_client.get(reverse("stores:detail", args=[shop_connection.pk]))
    assert reverse("stores:order-detail", args=[store_order.pk]) in listing.content.decode()
    theirs = StoreOrder.objects.create(
        connection=shop_connection, company=other_company, external_id="x", number="#9"
    )
    assert owner_client.get(reverse("stores:order-detail", args=[theirs.pk])).status_code == 404


# --- the neutral packing slip ------------------------------------------------------------------


def _slip(parcel) -> str:
    pdf = logistics_services.parcel_document_render(
        parcel_id=parcel.pk, kind=ParcelDocument.Kind.PACKING_SLIP
    )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("store_brand", ["Maple & Moss", ""])
def test_the_packing_slip_carries_the_brand_and_the_store_number_and_no_prices(
    client, shop_connection, shopify, goods, wallet, company, store_brand
):
    product, skus = goods
    logistics_services.customs_profile_save(company=company, brand_name="Company Brand")
    _brand(shop_connection, store_brand)
    _stock(company, skus[0], 2, unit_value=Decimal("12.34"), value_currency="CNY")
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 2)])
    parcel = store_order.parcel
    assert parcel.brand_name == store_brand
    text = _slip(parcel)
    assert (store_brand or "Company Brand") in text
    assert store_order.number in text
    for word in (
        "CNY",
        "USD",
        "12.34",
        "24.68",
        product.supplier.name_en,
        product.supplier.name_zh,
    ):
        assert word not in text


def test_an_order_with_nothing_to_ship_is_held_and_takes_nothing(
    client, shop_connection, shopify, goods, wallet, company
):
    _product, skus = goods
    item = _stock(company, skus[0], 2)
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0], 0)])
    assert store_order.status == SO.HELD
    assert store_order.reason == "The order has nothing for us to ship."
    item.refresh_from_db()
    assert item.quantity == 2
    assert not Parcel.objects.exists()
    assert not Order.objects.exists()

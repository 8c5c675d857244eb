"""Buying issues a number of queries that does not grow with the cart: checking out and paying
a cart of many lines from many suppliers costs what a small cart costs (prices, lines,
purchase orders and their timeline rows are read and written in bulk), and adding one line
reads only the product added."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, PurchaseOrder, PurchaseOrderEvent
from tests.orders.factories import SupplierFactory, fund_wallet, product_with_skus

pytestmark = pytest.mark.django_db


def _goods(suppliers: int, per_supplier: int):
    goods = []
    for _s in range(suppliers):
        supplier = SupplierFactory()
        for _p in range(per_supplier):
            product, skus = product_with_skus(supplier=supplier, skus=1)
            goods.append((product, skus[0]))
    return goods


def _add(client, product, sku, qty=10):
    return client.post(
        reverse("orders:cart-add"),
        {"product": product.pk, f"qty-{sku.pk}": qty},
        headers={"HX-Request": "true"},
    )


def _checkout_and_pay(client, goods) -> tuple[int, int, Order]:
    for product, sku in goods:
        assert _add(client, product, sku).status_code == 200
    page = client.get(reverse("orders:checkout"))
    data = {"checkout_key": page.context["checkout_key"], "signature": page.context["signature"]}
    with CaptureQueriesContext(connection) as checkout:
        response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 302
    order = Order.objects.get(checkout_key=data["checkout_key"])
    quote_id = order.quote_id
    with CaptureQueriesContext(connection) as pay:
        response = client.post(reverse("orders:order-pay", args=[order.pk]), {"quote": quote_id})
    assert response.status_code == 302
    order.refresh_from_db()
    return len(checkout), len(pay), order


def test_checkout_and_pay_queries_do_not_grow_with_lines_or_suppliers(buyer_client, company, rates):
    fund_wallet(company, Decimal("20000"))
    # Warm: the first checkout creates the platform's ledger accounts and the session's company.
    _checkout_and_pay(buyer_client, _goods(1, 1))

    few_checkout, few_pay, small = _checkout_and_pay(buyer_client, _goods(2, 1))
    many_checkout, many_pay, large = _checkout_and_pay(buyer_client, _goods(10, 5))

    assert small.status == large.status == Order.Status.PAID
    assert large.lines.count() == 50
    assert many_checkout == few_checkout
    assert many_pay == few_pay
    # Every purchase order still has its one creation row on its timeline.
    pos = PurchaseOrder.objects.filter(order=large)
    assert pos.count() == 10
    events = PurchaseOrderEvent.objects.filter(purchase_order__in=pos)
    assert sorted(events.values_list("purchase_order_id", flat=True)) == sorted(
        pos.values_list("pk", flat=True)
    )
    assert set(events.values_list("from_status", "to_status")) == {
        ("", PurchaseOrder.Status.PENDING)
    }
    assert sum(po.lines.count() for po in pos) == 50


def test_adding_one_line_reads_only_its_product(buyer_client, company, rates):
    goods = _goods(5, 4)
    _add(buyer_client, *goods[0])  # the session's company, the cart row
    with CaptureQueriesContext(connection) as small:
        assert _add(buyer_client, *goods[1]).status_code == 200
    for product, sku in goods[2:-1]:
        _add(buyer_client, product, sku)
    with CaptureQueriesContext(connection) as large:
        assert _add(buyer_client, *goods[-1]).status_code == 200

    assert len(large) == len(small)


def test_adding_more_of_a_product_moves_its_other_lines_to_the_new_tier(buyer, company):
    """The tier follows the product's total across its SKUs: adding to one SKU records the
    new (cheaper) price on the product's other lines too, as the merchant now sees it."""
    from orders import selectors, services

    product, (red, blue) = product_with_skus()
    assert services.cart_add(user=buyer, company=company, product=product, quantities={red: 30}).ok
    assert services.cart_add(
        user=buyer, company=company, product=product, quantities={blue: 20, red: 5}
    ).ok

    cart = selectors.cart_for(user=buyer, company=company)
    lines = {line.sku_id: line for line in cart.lines.all()}
    assert lines[red.pk].quantity == 35
    assert lines[blue.pk].quantity == 20
    assert lines[red.pk].seen_unit_price_cny == Decimal("8.00")
    assert lines[blue.pk].seen_unit_price_cny == Decimal("8.00")
    assert not selectors.priced_cart(cart=cart).changed_lines

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderLine
from tests.orders.factories import SupplierFactory

pytestmark = pytest.mark.django_db


def _orders(company, user, n):
    supplier = SupplierFactory()
    for i in range(n):
        order = Order.objects.create(
            company=company,
            created_by=user,
            checkout_key=f"k-{company.pk}-{i}-{n}",
            currency="USD",
            goods_cny=Decimal("10.00"),
            domestic_freight_cny=Decimal("15.00"),
            number=f"ORD-T{company.pk}{n}{i}",
        )
        OrderLine.objects.create(
            order=order,
            supplier=supplier,
            description="x",
            quantity=1,
            unit_price_cny=Decimal("10.00"),
            line_total_cny=Decimal("10.00"),
        )


def _count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("orders:order-list"), {"status": "awaiting_payment"})
    assert response.status_code == 200
    return len(queries), response


def test_orders_list_query_count_does_not_grow(owner_client, owner, company):
    _orders(company, owner, 2)
    _count(owner_client)  # the first request stores the current company in the session
    few, _response = _count(owner_client)
    _orders(company, owner, 20)
    many, response = _count(owner_client)

    assert many == few
    assert response.text.count("ORD-T") == 22


def test_filters_by_date_and_number(owner_client, owner, company):
    _orders(company, owner, 3)
    order = Order.objects.order_by("pk").first()

    by_number = owner_client.get(reverse("orders:order-list"), {"q": str(order.pk)})
    by_date = owner_client.get(reverse("orders:order-list"), {"date_to": "2000-01-01"})

    assert by_number.text.count("ORD-T") == 1
    assert "No orders match" in by_date.text

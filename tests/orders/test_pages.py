"""Every merchant and staff page of the app renders for its intended user."""

import pytest
from django.urls import reverse

from orders import services
from tests.orders.factories import paid_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, company, rates):
    product, (red, _blue) = product_with_skus()
    return paid_order(buyer, company, (product, {red: 10}))


def test_merchant_pages(buyer_client, order, buyer, company):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    urls = [
        reverse("orders:order-list"),
        reverse("orders:order-detail", args=[order.pk]),
        reverse("orders:order-confirmation", args=[order.pk]),
        reverse("orders:cart"),
        reverse("orders:cart-count"),
        reverse("orders:quick-order"),
        reverse("orders:checkout"),
        reverse("orders:sourcing-list"),
        reverse("orders:sourcing-create"),
        reverse("orders:sourcing-detail", args=[request.pk]),
    ]
    for url in urls:
        assert buyer_client.get(url).status_code == 200, url
    confirmation = buyer_client.get(reverse("orders:order-confirmation", args=[order.pk]))
    assert order.number in confirmation.text
    assert "Total paid" in confirmation.text


def test_order_list_htmx_partial(buyer_client, order):
    response = buyer_client.get(
        reverse("orders:order-list"),
        {"status": "paid"},
        headers={"HX-Request": "true", "HX-Target": "order-results"},
    )
    assert response.text.lstrip().startswith('<section id="order-results">')
    assert order.number in response.text


def test_staff_pages(client, order, account_manager, buyer, company):
    request = services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="x"
    )
    po = order.purchase_orders.get()
    client.force_login(account_manager)
    urls = [
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_purchaseorder_change", args=[po.pk]),
        reverse("admin:orders_purchaseorder_place", args=[po.pk]),
        reverse("admin:orders_purchaseorder_split", args=[po.pk]),
        reverse("admin:orders_sourcingrequest_change", args=[request.pk]),
        reverse("admin:orders_sourcingquote_add") + f"?request={request.pk}",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    change = client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))
    assert reverse("admin:orders_purchaseorder_place", args=[po.pk]) in change.text

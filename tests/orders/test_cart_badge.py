"""The navbar cart badge: a context-free include that loads its count and works without JS."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from tests.orders.factories import SupplierFactory, product_with_skus

pytestmark = pytest.mark.django_db

INCLUDE = Template('{% include "orders/partials/cart_badge.html" %}')


def test_included_without_context_it_is_a_link_that_loads_its_count():
    html = INCLUDE.render(Context())

    assert f'href="{reverse("orders:cart")}"' in html
    assert f'hx-get="{reverse("orders:cart-count")}"' in html
    assert 'hx-trigger="load, cart-changed from:body"' in html
    assert "badge" not in html


def test_the_count_endpoint_answers_without_the_load_trigger(buyer_client, buyer, company):
    from orders import services

    product, (sku, _other) = product_with_skus(supplier=SupplierFactory())
    services.cart_add(user=buyer, company=company, product=product, quantities={sku: 10})

    response = buyer_client.get(reverse("orders:cart-count"))

    assert response.status_code == 200
    assert 'hx-trigger="cart-changed from:body"' in response.text
    assert ">1</span>" in response.text
    assert "1 line" in response.text


def test_visitors_and_users_without_a_company_get_no_content(client, django_user_model):
    assert client.get(reverse("orders:cart-count")).status_code == 204

    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("orders:cart-count")).status_code == 204


def test_the_count_is_of_this_users_cart_for_this_company_only(
    buyer, company, other_company, member_of
):
    from orders import selectors, services

    product, (sku, other_sku) = product_with_skus(supplier=SupplierFactory())
    colleague = member_of(company)
    member_of(other_company, user=buyer)
    services.cart_add(user=buyer, company=company, product=product, quantities={sku: 10})
    services.cart_add(user=buyer, company=company, product=product, quantities={other_sku: 10})
    services.cart_add(user=colleague, company=company, product=product, quantities={sku: 10})
    services.cart_add(user=buyer, company=other_company, product=product, quantities={sku: 10})

    assert selectors.cart_count(user=buyer, company=company) == 2
    assert selectors.cart_count(user=colleague, company=company) == 1
    assert selectors.cart_count(user=buyer, company=other_company) == 1
    assert selectors.cart_count(user=member_of(company), company=company) == 0

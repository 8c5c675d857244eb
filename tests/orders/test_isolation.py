"""Another company's order, purchase order, sourcing request or quote answers 404 everywhere."""

import pytest
from django.urls import reverse

from orders import services
from procurement.accounts.models import Role
from tests.orders.factories import paid_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(other_company, member_of, rates, account_manager):
    user = member_of(other_company, Role.OWNER)
    product, (red, _blue) = product_with_skus()
    order = paid_order(user, other_company, (product, {red: 10}))
    po = order.purchase_orders.get()
    request = services.sourcing_request_create(
        company=other_company, actor=user, title="Secret", description="x"
    )
    quote = services.sourcing_quote_create(
        request=request,
        actor=account_manager,
        lines=[
            {
                "supplier": product.supplier,
                "description": "x",
                "unit_price_cny": 1,
                "moq": 1,
                "quantity": 1,
                "lead_time_days": 1,
            }
        ],
    )
    services.sourcing_quote_send(quote=quote, actor=account_manager)
    return {"order": order, "po": po, "request": request, "quote": quote}


GETS = [
    ("orders:order-detail", "order"),
    ("orders:order-pay", "order"),
    ("orders:order-confirmation", "order"),
    ("orders:sourcing-detail", "request"),
]
POSTS = [
    ("orders:order-pay", "order"),
    ("orders:order-quote-refresh", "order"),
    ("orders:order-cancel", "order"),
    ("orders:order-message", "order"),
    ("orders:order-approve", "order"),
    ("orders:order-reject", "order"),
    ("orders:po-accept-price", "po"),
    ("orders:po-cancel", "po"),
    ("orders:sourcing-message", "request"),
    ("orders:sourcing-quote-accept", "quote"),
    ("orders:sourcing-quote-decline", "quote"),
]


@pytest.mark.parametrize(("name", "key"), GETS)
def test_get_is_404(owner_client, foreign, name, key):
    assert owner_client.get(reverse(name, args=[foreign[key].pk])).status_code == 404


@pytest.mark.parametrize(("name", "key"), POSTS)
def test_post_is_404(owner_client, foreign, name, key):
    response = owner_client.post(
        reverse(name, args=[foreign[key].pk]), {"reason": "x", "body": "x"}
    )
    assert response.status_code == 404


def test_lists_show_only_own_objects(owner_client, foreign):
    orders = owner_client.get(reverse("orders:order-list"))
    sourcing = owner_client.get(reverse("orders:sourcing-list"))
    searched = owner_client.get(reverse("orders:order-list"), {"q": foreign["order"].number})

    assert foreign["order"].number not in orders.text
    assert "Secret" not in sourcing.text
    detail = reverse("orders:order-detail", args=[foreign["order"].pk])
    assert detail not in searched.text
    assert "No orders match" in searched.text

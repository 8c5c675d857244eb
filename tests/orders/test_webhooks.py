"""Outbound webhooks from orders: order.paid, purchase_order.exception, quote.ready."""

from decimal import Decimal

import pytest

from orders import services
from procurement.core.models import WebhookDelivery, WebhookEndpoint
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(company):
    return WebhookEndpoint.objects.create(
        company=company,
        url="https://erp.example.com/hooks",
        events=["order.paid", "purchase_order.exception", "quote.ready"],
        secret="s" * 32,
    )


@pytest.fixture
def order(buyer, company, rates, endpoint):
    shirt, (red,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    return paid_order(buyer, company, (shirt, {red: 50}), balance="500.00")


def test_paying_emits_order_paid(order):
    delivery = WebhookDelivery.objects.get(event="order.paid")

    assert delivery.payload["order_id"] == str(order.pk)
    assert delivery.payload["number"] == order.number
    assert delivery.payload["goods"] == {"amount": "400.00", "currency": "CNY"}
    assert delivery.payload["charged"]["currency"] == "USD"
    Decimal(delivery.payload["charged"]["amount"])  # a decimal string


def test_a_price_change_emits_purchase_order_exception(order, account_manager):
    po = order.purchase_orders.get()

    services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="",
        actual_total_cny=po.expected_total_cny + Decimal("10.00"),
        handling=services.DifferenceHandling.ASK,
    )

    delivery = WebhookDelivery.objects.get(event="purchase_order.exception")
    assert delivery.payload["purchase_order_id"] == str(po.pk)
    assert delivery.payload["status"] == "price_changed"
    assert delivery.payload["proposed_total"] == {
        "amount": str(po.expected_total_cny + Decimal("10.00")),
        "currency": "CNY",
    }


def test_sending_a_quote_emits_quote_ready(buyer, company, account_manager, endpoint):
    from tests.orders.factories import SourcingRequestFactory

    request = SourcingRequestFactory(company=company, created_by=buyer)
    quote = services.sourcing_quote_create(
        request=request,
        actor=account_manager,
        lines=[
            {
                "supplier": SupplierFactory(),
                "description": "Case",
                "unit_price_cny": Decimal("3.50"),
                "moq": 100,
                "quantity": 200,
                "lead_time_days": 5,
            }
        ],
    )

    services.sourcing_quote_send(quote=quote, actor=account_manager)

    delivery = WebhookDelivery.objects.get(event="quote.ready")
    assert delivery.payload["quote_id"] == str(quote.pk)
    assert delivery.payload["total"] == {"amount": "700.00", "currency": "CNY"}


def test_no_endpoint_no_delivery(buyer, other_company, rates, member_of):
    user = member_of(other_company)
    shirt, (red,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    paid_order(user, other_company, (shirt, {red: 50}), balance="500.00")

    assert not WebhookDelivery.objects.exists()

"""Checkout charges exactly once under concurrent requests: real threads, real row locks."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from orders import selectors, services
from orders.models import Order
from payments import selectors as payments_selectors
from payments.models import LedgerTransaction
from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import fund_wallet, membership, product_with_skus, seed_rates

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def _race(target) -> list:
    barrier = threading.Barrier(THREADS)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def setup():
    seed_rates()
    company = CompanyFactory()
    buyer = MembershipFactory(company=company, role=Role.BUYER).user
    product, (red, _blue) = product_with_skus()
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 50})
    fund_wallet(company, Decimal("500.00"))
    return company, buyer


def test_concurrent_pay_requests_charge_once(setup):
    company, buyer = setup
    cart = selectors.cart_for(user=buyer, company=company)
    order = services.order_place_from_cart(
        user=buyer,
        company=company,
        membership=membership(buyer, company),
        checkout_key=uuid.uuid4().hex,
        signature=selectors.priced_cart(cart=cart).signature(None, None),
    )
    total = order.quote.total_charge

    results = _race(
        lambda: services.order_pay(
            order=Order(pk=order.pk), actor=buyer, membership=membership(buyer, company)
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert LedgerTransaction.objects.filter(kind="checkout").count() == 1
    balance = payments_selectors.wallet_balance(company=company, currency="USD")
    assert balance == Decimal("500.00") - total
    assert Order.objects.get().purchase_orders.count() == 1


def test_concurrent_checkout_submits_make_one_order(setup):
    company, buyer = setup
    cart = selectors.cart_for(user=buyer, company=company)
    signature = selectors.priced_cart(cart=cart).signature(None, None)
    key = uuid.uuid4().hex

    results = _race(
        lambda: (
            services.order_place_from_cart(
                user=buyer,
                company=company,
                membership=membership(buyer, company),
                checkout_key=key,
                signature=signature,
            ).pk
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Order.objects.count() == 1
    assert set(results) == {Order.objects.get().pk}


def test_two_tabs_with_different_forms_make_one_order(setup):
    company, buyer = setup
    cart = selectors.cart_for(user=buyer, company=company)
    signature = selectors.priced_cart(cart=cart).signature(None, None)

    results = _race(
        lambda: (
            services.order_place_from_cart(
                user=buyer,
                company=company,
                membership=membership(buyer, company),
                checkout_key=uuid.uuid4().hex,
                signature=signature,
            ).pk
        )
    )

    assert Order.objects.count() == 1
    orders = [r for r in results if isinstance(r, int)]
    assert len(orders) == 1
    # The others found the cart empty (or already priced away): refused, nothing written.
    assert all(
        type(r).__name__ in {"CartEmpty", "PricesChanged"} for r in results if r not in orders
    )

"""Money moves in the operations that close purchase orders, never in the derivation of an
order's status from them."""

from decimal import Decimal

import pytest
from django.db import transaction

from orders import services
from orders.models import Order, PurchaseOrder
from orders.services.status import _order_follow_purchase_orders
from payments import selectors as payments_selectors
from payments.models import LedgerTransaction
from procurement.core import states
from tests.orders.factories import SupplierFactory, paid_order, product_with_skus

pytestmark = pytest.mark.django_db
PS = PurchaseOrder.Status


@pytest.fixture
def order(buyer, company, rates):
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    mug, (white,) = product_with_skus(supplier=SupplierFactory(), skus=1)
    return paid_order(
        buyer, company, (shirt, {red: 30, blue: 20}), (mug, {white: 10}), balance="500.00"
    )


def _balance(company):
    return payments_selectors.wallet_balance(company=company, currency="USD")


def test_the_derivation_alone_moves_no_money(order, company):
    # Close every purchase order behind the services' back: nothing refunds them.
    for po in order.purchase_orders.order_by("pk"):
        states.transition(po, to=PS.CANCELLED)
    transactions = LedgerTransaction.objects.count()
    balance = _balance(company)

    with transaction.atomic():
        followed = _order_follow_purchase_orders(states.lock(order), actor=None)

    assert followed.status == Order.Status.REFUNDED
    assert LedgerTransaction.objects.count() == transactions
    assert _balance(company) == balance


def test_cancelling_the_last_open_purchase_order_refunds_the_rest_itself(
    order, account_manager, company
):
    first, last = order.purchase_orders.order_by("pk")
    services.purchase_order_cancel(po=first, actor=account_manager, reason="closed")
    refunds = LedgerTransaction.objects.count()

    services.purchase_order_cancel(po=last, actor=account_manager, reason="closed too")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert LedgerTransaction.objects.count() == refunds + 1  # the rest, fee included
    assert _balance(company) == Decimal("500.00")

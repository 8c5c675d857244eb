"""One portal order per store order when the same order arrives at once from several workers
(webhook redeliveries, webhook and poll): real threads on PostgreSQL, real row locks."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.stores import services
from orders.stores.adapters.shopify import order_from_webhook
from orders.stores.models import StoreOrder, WebhookReceipt
from payments.models import LedgerTransaction
from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.logistics.factories import channel_with_zone
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates
from tests.orders.stores.conftest import SHOP, SHOP_SECRET, SHOP_TOKEN, shop_line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def _race(target) -> list:
    barrier = threading.Barrier(THREADS)
    results: list = []

    def run(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def setup(shopify):
    seed_rates()
    company = CompanyFactory()
    owner = MembershipFactory(company=company, role=Role.OWNER).user
    fund_wallet(company, Decimal("500.00"))
    _product, skus = product_with_skus(moq=1)
    store = services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="Race shop",
        shop=SHOP,
        access_key=SHOP_TOKEN,
        client_secret=SHOP_SECRET,
        shipping_channel=channel_with_zone(),
        auto_pay=True,
        auto_pay_limit=Decimal("400"),
    )
    order = shopify.create_order(SHOP, lines=[shop_line(skus[0], 3)])
    return store, order


def _one_paid_order():
    assert StoreOrder.objects.count() == 1
    assert Order.objects.count() == 1
    assert LedgerTransaction.objects.filter(reference__startswith="order:").count() <= 1
    assert StoreOrder.objects.get().status == StoreOrder.Status.PAID


def test_the_same_delivery_at_once_takes_one_receipt_and_one_order(setup, shopify):
    store, order = setup
    body, headers = shopify.webhook(SHOP, "orders/create", order["id"], delivery_id="same")
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    url = reverse("stores:webhook", args=[store.webhook_token])

    def post(_index):
        return Client().post(url, data=body, content_type="application/json", **extra).content

    results = _race(post)
    assert sorted(results) == [b"accepted"] + [b"duplicate"] * (THREADS - 1), results
    assert WebhookReceipt.objects.count() == 1
    _one_paid_order()


def test_different_deliveries_and_polls_at_once_make_one_order(setup, shopify):
    store, order = setup

    def arrive(index):
        if index % 2:
            return services.store_orders_poll(connection=store)
        body, headers = shopify.webhook(SHOP, "orders/updated", order["id"])
        return services.store_webhook_receive(token=store.webhook_token, body=body, headers=headers)

    results = _race(arrive)
    assert not [r for r in results if isinstance(r, Exception)], results
    _one_paid_order()
    assert services.store_order_take(connection=store, data=order_from_webhook(order)).pk == (
        StoreOrder.objects.get().pk
    )

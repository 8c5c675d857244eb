"""Concurrent requests with one Idempotency-Key make one order and one charge: real threads,
real connections, PostgreSQL's unique index and row locks."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from orders.models import Order
from payments.models import LedgerTransaction
from procurement.core.models import IdempotentRequest
from tests.accounts.factories import CompanyFactory
from tests.api.factories import api_token, bearer
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

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


def test_an_order_through_the_api_charges_exactly_once(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1000
    seed_rates()
    company = CompanyFactory()
    token = api_token(company)
    product, (red, _blue) = product_with_skus()
    fund_wallet(company, Decimal("500.00"))
    body = json.dumps(
        {
            "lines": [{"product_id": product.pk, "sku_id": red.pk, "quantity": 50}],
            "pay": True,
        }
    )

    def order():
        response = Client().post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            **bearer(token, HTTP_IDEMPOTENCY_KEY="erp-order-42"),
        )
        return response.status_code, response.json()

    results = _race(order)

    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _body in results} == {201}
    assert len({body["id"] for _status, body in results}) == 1
    assert Order.objects.filter(company=company).count() == 1
    assert LedgerTransaction.objects.filter(company=company, kind="checkout").count() == 1
    assert IdempotentRequest.objects.filter(company=company).count() == 1

"""The busiest API lists run a fixed number of queries however long the page, and what they
write without pydantic's pass still is what their page schemas declare."""

import json
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.renderers import JSONRenderer

from catalog.api import ProductPage
from orders.api import OrderPage
from orders.models import Order
from payments.api import StatementPage
from tests.api.factories import api_token, bearer
from tests.catalog.factories import ProductFactory
from tests.orders.factories import paid_order, product_with_skus
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db

# Authentication (the key with its creator's membership, one query) and the page's one query.
LIST_QUERIES = 2


def _orders(company, user, n):
    for i in range(n):
        Order.objects.create(
            company=company,
            created_by=user,
            checkout_key=f"list-{company.pk}-{n}-{i}",
            currency="USD",
            goods_cny=Decimal("10.00"),
            domestic_freight_cny=Decimal("15.00"),
            number=f"ORD-L{n}{i}",
        )


def validated(schema, page: dict) -> dict:
    """`page` as ninja answers it after validating it against `schema`, its times as
    datetimes: the JSON keeps milliseconds, so a time whose first three decimals are zero
    reads back as a whole second and is written again without them ("…:32Z" for
    "…:32.000Z"), the same instant."""
    dumped = schema.model_validate(page).model_dump()
    return _times(json.loads(JSONRenderer().render(None, dumped, response_status=200)))


def _times(value):
    """`value` with every ISO time string (as the API writes them) read as a datetime."""
    if isinstance(value, dict):
        return {key: _times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_times(item) for item in value]
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T" and value[-1] == "Z":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _get(client, token, path, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1" + path, params, **bearer(token))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return len(ctx.captured_queries), response.json()


def test_the_order_list_is_one_query_whatever_its_length(client, company, owner, rates):
    token = api_token(company, owner=owner)
    product, _skus = product_with_skus(skus=0)
    paid_order(owner, company, (product, {None: 10}))
    _orders(company, owner, 2)
    _get(client, token, "/orders")  # the key's first use is noted once a minute
    few, _page = _get(client, token, "/orders")
    _orders(company, owner, 30)
    many, page = _get(client, token, "/orders", limit=100)

    assert few == many == LIST_QUERIES
    assert len(page["items"]) == 33
    assert validated(OrderPage, page) == _times(page)
    quoted = [item for item in page["items"] if item["fx_quote"]]
    assert len(quoted) == 1
    assert quoted[0]["fx_quote"]["total"]["currency"] == "USD"


def test_the_product_list_is_one_query_with_the_rate_read_once(client, company, owner, rates):
    token = api_token(company, owner=owner)
    ProductFactory.create_batch(2)
    _get(client, token, "/products")  # the key's first use; the display rate is cached
    few, _page = _get(client, token, "/products")
    ProductFactory.create_batch(30)
    many, page = _get(client, token, "/products", limit=48)
    more, _page = _get(client, token, "/products", cursor=page["next_cursor"] or "")

    assert few == many == more == LIST_QUERIES
    assert len(page["items"]) == 32
    assert validated(ProductPage, page) == _times(page)
    assert all(item["price_from"]["local"]["currency"] == "USD" for item in page["items"])


def test_the_statement_is_one_query_whatever_its_length(client, company, owner):
    token = api_token(company, owner=owner)
    fund_wallet(company, "10.00")
    _get(client, token, "/wallet/statement")
    few, _page = _get(client, token, "/wallet/statement")
    for _ in range(20):
        fund_wallet(company, "15.00")
    many, page = _get(client, token, "/wallet/statement")

    assert few == many == LIST_QUERIES
    assert len(page["items"]) == 21
    assert validated(StatementPage, page) == _times(page)

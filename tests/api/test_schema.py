"""Schemathesis against the OpenAPI schema: every operation, authenticated with a test key, with
data that exists; no server errors and every answer matches the schema."""

from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from procurement.wsgi import application
from tests.api.factories import api_token, bearer
from tests.logistics.factories import StockItemFactory, WarehouseFactory, channel_with_zone
from tests.orders.factories import fund_wallet, paid_order, product_with_skus, seed_rates

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Every operation's case has the same node id, which pytest-xdist cannot split across processes.
pytestmark = pytest.mark.serial


@pytest.fixture
def _keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close the test's
    connection in the middle of its transaction; Django's test Client disconnects it too."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(company, owner, _keep_test_connection):
    seed_rates()
    fund_wallet(company, Decimal("500.00"))
    product, skus = product_with_skus()
    paid_order(owner, company, (product, {skus[0]: 30}))
    StockItemFactory(company=company, warehouse=WarehouseFactory())
    channel_with_zone()
    token = api_token(company, owner=owner)
    return {"Authorization": bearer(token)["HTTP_AUTHORIZATION"]}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, api_headers, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    case.call_and_validate(
        headers=api_headers, checks=[not_a_server_error, response_schema_conformance]
    )

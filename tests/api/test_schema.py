"""Schemathesis against the OpenAPI schema, as a gate: every operation, every check, a fixed
seed and a few hundred examples, authenticated with a key the rate limit does not count (that
key only: every other key keeps the limit). The run must end with zero failures."""

from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from procurement.accounts import integrations
from procurement.core import webhooks
from procurement.wsgi import application
from tests.api.factories import api_token, bearer
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
)
from tests.orders.factories import fund_wallet, paid_order, product_with_skus, seed_rates

SEED = 20261203
EXAMPLES_PER_OPERATION = 15  # x the operations: a few hundred in all, in a couple of minutes

CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # Unknown query parameters are ignored, as by most HTTP APIs; the fuzzer is told so
        # rather than every endpoint refusing them.
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "allow-extra-parameters": False,
        },
        "checks": {
            # A schema can say what a well-formed request is, not that its product exists in the
            # quantity asked or that the wallet holds enough: a valid request the business rules
            # refuse answers 422 with the error schema, as every operation declares.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
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
def api_headers(company, owner, settings, _keep_test_connection):
    """Data for every operation to find, and the fuzzer's own key, exempt from the limit."""
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    seed_rates()
    fund_wallet(company, Decimal("500.00"))
    product, skus = product_with_skus()
    paid_order(owner, company, (product, {skus[0]: 30}))
    StockItemFactory(company=company, warehouse=WarehouseFactory())
    AddressFactory(company=company)
    channel_with_zone()
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["order.paid"]
    )
    webhooks.webhook_event_emit(company=company, event="order.paid", payload={"order": 1})
    token = api_token(company, owner=owner)
    settings.API_RATE_LIMIT_EXEMPT_KEYS = {token.split(".")[0].removeprefix("pk_")}
    return {"Authorization": bearer(token)["HTTP_AUTHORIZATION"]}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, api_headers):
    case.call_and_validate(headers=api_headers)

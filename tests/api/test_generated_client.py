"""A client generated from the published schema by a third-party generator
(openapi-python-client, in the dev group) drives a whole order against a live server: what an
ERP's developer would do with our OpenAPI document. Nothing generated is committed; it is built
in a temporary directory for each run."""

import importlib
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from procurement.api import api
from tests.api.factories import api_token
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates

PACKAGE = "portal_client"


@pytest.fixture(scope="module")
def portal_client(tmp_path_factory):
    """The generated package, imported from a temporary directory."""
    root = tmp_path_factory.mktemp("generated")
    schema_file = root / "openapi.json"
    schema_file.write_text(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    bin_dir = Path(sys.executable).parent
    generator = shutil.which("openapi-python-client", path=str(bin_dir))
    assert generator, "openapi-python-client is in the dev dependency group"
    result = subprocess.run(  # noqa: S603 - a fixed command on a file this test wrote
        [
            generator,
            "generate",
            "--path",
            str(schema_file),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        check=False,
        # The generator formats its output with ruff, which lives beside it.
        env={"PATH": str(bin_dir), "HOME": str(root)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(package, path: str):
    return importlib.import_module(f"{package.__name__}.api.{path}")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_places_pays_and_reads_an_order(
    portal_client, live_server, company, owner
):
    seed_rates()
    fund_wallet(company, Decimal("500.00"))
    product, skus = product_with_skus()
    models = importlib.import_module(f"{PACKAGE}.models")
    client = portal_client.AuthenticatedClient(
        base_url=live_server.url, token=api_token(company, owner=owner)
    )

    hook = _module(portal_client, "webhooks.procurement_api_webhooks_webhook_endpoint_create")
    endpoint = hook.sync(
        client=client,
        body=models.WebhookEndpointIn(
            url=f"{live_server.url}/receiver", events=[models.WebhookEvent.ORDER_PAID]
        ),
        idempotency_key="hook-1",
    )
    assert isinstance(endpoint, models.WebhookEndpointSecretOut)

    products = _module(portal_client, "catalog.procurement_api_catalog_product_list").sync(
        client=client
    )
    assert [item.id for item in products.items] == [product.pk]

    create = _module(portal_client, "orders.procurement_api_orders_order_create")
    body = models.OrderIn(
        lines=[models.LineIn(product_id=product.pk, sku_id=skus[0].pk, quantity=30)]
    )
    placed = create.sync_detailed(client=client, body=body, idempotency_key="erp-order-1")
    replayed = create.sync_detailed(client=client, body=body, idempotency_key="erp-order-1")
    assert placed.status_code == replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    order = placed.parsed
    assert order.status == "awaiting_payment"
    assert replayed.parsed.id == order.id

    paid = _module(portal_client, "orders.procurement_api_orders_order_pay").sync(
        order.id, client=client, body=models.PayIn(quote_id=order.fx_quote.id)
    )
    assert isinstance(paid, models.OrderDetailOut), paid
    assert paid.status == "paid"

    read = _module(portal_client, "orders.procurement_api_orders_order_detail").sync(
        order.id, client=client
    )
    assert read.status == "paid"
    assert read.total_cny.currency == "CNY"
    assert Decimal(read.total_cny.amount) == Decimal(order.total_cny.amount)

    deliveries = _module(portal_client, "webhooks.procurement_api_webhooks_webhook_delivery_list")
    listed = deliveries.sync(client=client, endpoint_id=endpoint.id)
    assert [(d.event, d.endpoint_id) for d in listed.items] == [("order.paid", endpoint.id)]

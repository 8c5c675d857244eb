"""Every list endpoint pages through the one keyset paginator (procurement/core/api.py):
`cursor` and `limit` in, `items` and `next_cursor` out, newest first, as they answered before."""

import pytest

from procurement.api import api
from tests.api.factories import api_token, bearer
from tests.logistics.factories import StockItemFactory, WarehouseFactory
from tests.orders.factories import SourcingRequestFactory
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db

API = "/api/v1"
LISTS = {
    "/orders": "OrderPage",
    "/sourcing-requests": "SourcingPage",
    "/stock": "StockPage",
    "/parcels": "ParcelPage",
    "/wallet/statement": "StatementPage",
    "/products": "ProductPage",
}


def three_rows(path, company, owner):
    if path == "/stock":
        warehouse = WarehouseFactory()
        return [StockItemFactory(company=company, warehouse=warehouse).pk for _ in range(3)]
    if path == "/sourcing-requests":
        return [SourcingRequestFactory(company=company, created_by=owner).pk for _ in range(3)]
    for amount in ("10.00", "20.00", "30.00"):
        fund_wallet(company, amount)
    return None  # postings' ids: read from the first, unpaged answer


def get(client, path, token, **params):
    response = client.get(API + path, params, **bearer(token))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("path", ["/stock", "/sourcing-requests", "/wallet/statement"])
def test_pages_go_newest_first_and_end_with_no_cursor(client, company, owner, path):
    token = api_token(company, owner=owner)
    ids = three_rows(path, company, owner)
    everything = get(client, path, token)
    newest_first = [item["id"] for item in everything["items"]]

    first = get(client, path, token, limit=2)
    second = get(client, path, token, limit=2, cursor=first["next_cursor"])

    assert everything["next_cursor"] is None
    assert ids is None or sorted(newest_first, reverse=True) == sorted(ids, reverse=True)
    assert newest_first == sorted(newest_first, reverse=True)
    assert [item["id"] for item in first["items"]] == newest_first[:2]
    assert first["next_cursor"] == str(newest_first[1])
    assert [item["id"] for item in second["items"]] == newest_first[2:]
    assert second["next_cursor"] is None


def test_limit_is_held_between_one_and_a_hundred(client, company, owner):
    token = api_token(company, owner=owner)
    three_rows("/sourcing-requests", company, owner)

    assert len(get(client, "/sourcing-requests", token, limit=0)["items"]) == 1
    assert len(get(client, "/sourcing-requests", token, limit=-5)["items"]) == 1
    assert len(get(client, "/sourcing-requests", token, limit=1000)["items"]) == 3


@pytest.mark.parametrize("path", ["/orders", "/sourcing-requests", "/stock", "/parcels"])
def test_a_cursor_that_is_not_an_id_is_refused_with_the_field(client, company, owner, path):
    token = api_token(company, owner=owner)

    response = client.get(API + path, {"cursor": "abc"}, **bearer(token))

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "The cursor is not valid.",
        "field": "cursor",
    }


def test_the_schema_keeps_each_list_page_schema_and_its_parameters():
    """The paginator must not rename the published page schemas (ninja's default would make
    `PagedOrderOut`) nor move `cursor` and `limit` from where clients send them."""
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]

    for path, page in LISTS.items():
        operation = paths[f"/api/v1{path}"]["get"]
        ok = operation["responses"][200]["content"]["application/json"]["schema"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert ok == {"$ref": f"#/components/schemas/{page}"}
        assert [p["name"] for p in operation["parameters"]][-2:] == ["cursor", "limit"]
        assert params["cursor"]["schema"] == {"default": "", "title": "Cursor", "type": "string"}
        limit = 24 if path == "/products" else 50
        assert params["limit"]["schema"] == {"default": limit, "title": "Limit", "type": "integer"}


def test_operation_ids_keep_their_published_names():
    """Generated clients name their methods after operation ids; moving the routers into their
    apps must not rename them."""
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    ids = {
        (method, path): op["operationId"]
        for path, ops in paths.items()
        for method, op in ops.items()
    }

    assert ids[("get", "/api/v1/products")] == "procurement_api_catalog_product_list"
    assert ids[("post", "/api/v1/orders")] == "procurement_api_orders_order_create"
    assert (
        ids[("get", "/api/v1/sourcing-requests")] == "procurement_api_orders_sourcing_request_list"
    )
    assert ids[("get", "/api/v1/parcels")] == "procurement_api_logistics_parcel_list"
    assert ids[("get", "/api/v1/wallet/statement")] == "procurement_api_logistics_wallet_statement"
    assert all(op_id.startswith("procurement_api_") for op_id in ids.values())

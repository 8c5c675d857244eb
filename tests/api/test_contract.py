"""The API keeps its own OpenAPI contract: each test here is a break a schema fuzzer found,
checked against the live answer and against the published document."""

import json
import re
from decimal import Decimal

import pytest

from orders.models import Order, SourcingRequest
from payments.models import LedgerTransaction
from procurement.api import api
from tests.api.factories import api_token, bearer
from tests.logistics.factories import StockItemFactory, WarehouseFactory, channel_with_zone
from tests.orders.factories import fund_wallet, place_order, product_with_skus

pytestmark = pytest.mark.django_db

API = "/api/v1"
NON_OBJECTS = [b"5744", b"[1,2]", b'"x"', b"null"]
ERROR_STATUSES = {"401", "403", "404", "422", "429"}


@pytest.fixture(scope="module")
def document():
    """The document as published: JSON, so status codes are strings."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _post(client, path, body: bytes, token, **headers):
    return client.post(
        API + path, body, content_type="application/json", **bearer(token, **headers)
    )


@pytest.fixture
def awaiting_payment(company, owner, rates):
    fund_wallet(company, Decimal("500.00"))
    product, skus = product_with_skus()
    return place_order(owner, company, (product, {skus[0]: 30}))


@pytest.mark.parametrize("body", NON_OBJECTS)
def test_paying_with_a_body_that_is_not_an_object_is_422_and_pays_nothing(
    client, token, awaiting_payment, body
):
    response = _post(client, f"/orders/{awaiting_payment.pk}/pay", body, token)

    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": "Send a JSON object.", "field": None}
    awaiting_payment.refresh_from_db()
    assert awaiting_payment.status == Order.Status.AWAITING_PAYMENT
    assert not LedgerTransaction.objects.filter(kind="order_payment").exists()


@pytest.mark.parametrize("body", NON_OBJECTS)
def test_every_body_that_is_not_an_object_is_422_and_writes_nothing(client, token, rates, body):
    for path in ("/orders", "/sourcing-requests", "/parcels"):
        response = _post(client, path, body, token)

        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid"
    assert not Order.objects.exists()
    assert not SourcingRequest.objects.exists()


def test_target_unit_price_is_a_decimal_string_as_the_schema_says(client, token, document):
    declared = document["components"]["schemas"]["SourcingRequestIn"]["properties"][
        "target_unit_price"
    ]
    kinds = [option["type"] for option in declared["anyOf"]]
    (pattern,) = [option["pattern"] for option in declared["anyOf"] if "pattern" in option]
    assert kinds == ["string", "null"]
    assert not re.search(pattern, "")

    def create(value):
        body = {"title": "Mugs", "description": "white", "target_unit_price": value}
        return _post(client, "/sourcing-requests", json.dumps(body).encode(), token)

    accepted = create("12.50")
    assert accepted.status_code == 201
    assert accepted.json()["target_unit_price"]["amount"] == "12.50"
    assert create(None).status_code == 201
    for refused in ("", "1e3", 12.5, "0"):
        response = create(refused)
        assert response.status_code == 422, refused
        assert response.json()["field"] == "target_unit_price"


def test_a_parcel_with_extra_properties_is_accepted_as_the_schema_allows(
    client, company, token, document
):
    assert document["components"]["schemas"]["ParcelIn"].get("additionalProperties") is not False
    item = StockItemFactory(company=company, warehouse=WarehouseFactory())
    channel = channel_with_zone()
    body = {
        "item_ids": [item.pk],
        "channel_id": channel.pk,
        "address": {
            "name": "Ann Lee",
            "phone": "+49 30 1234567",
            "line1": "Hauptstr. 1",
            "city": "Berlin",
            "postcode": "10115",
            "country": "DE",
            "floor": "3",
        },
        "erp_reference": "SO-1",
    }

    response = _post(client, "/parcels", json.dumps(body).encode(), token)

    assert response.status_code == 201, response.json()


def test_a_body_that_is_not_utf8_answers_a_declared_400(client, token, document):
    response = _post(client, "/sourcing-requests", b'{"title": "\xff\xfe"}', token)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert set(response.json()) == {"code", "message", "field"}
    declared = document["paths"]["/api/v1/sourcing-requests"]["post"]["responses"]["400"]
    assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_idempotency_key_is_declared_on_every_post_that_honours_it(document):
    posts = [(path, op) for path, method, op in _operations(document) if method == "post"]

    assert posts
    for path, operation in posts:
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert headers["Idempotency-Key"]["schema"]["type"] == "string"
        assert not headers["Idempotency-Key"]["required"]


def test_errors_are_declared_with_one_schema_and_429_with_its_headers(document):
    for path, method, operation in _operations(document):
        if path.endswith("/openapi.json"):
            continue
        responses = operation["responses"]
        expected = ERROR_STATUSES | ({"400", "409"} if method == "post" else set())
        assert expected <= set(responses), (method, path)
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
        headers = responses["429"]["headers"]
        assert {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            headers
        )


def test_a_429_carries_the_headers_it_declares(client, token, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    client.get(API + "/categories", **bearer(token))

    response = client.get(API + "/categories", **bearer(token))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["RateLimit-Limit"] == "1"
    assert response["RateLimit-Remaining"] == "0"
    assert response["RateLimit-Reset"] == response["Retry-After"]


def test_the_fuzzers_key_is_exempt_from_the_rate_limit_and_no_other(
    client, company, owner, settings
):
    fuzzer, other = api_token(company, owner=owner), api_token(company, owner=owner)
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    settings.API_RATE_LIMIT_EXEMPT_KEYS = {fuzzer.split(".")[0].removeprefix("pk_")}

    fuzzer_answers = [client.get(API + "/categories", **bearer(fuzzer)) for _ in range(3)]
    other_answers = [client.get(API + "/categories", **bearer(other)) for _ in range(2)]

    assert [r.status_code for r in fuzzer_answers] == [200, 200, 200]
    assert [r.status_code for r in other_answers] == [200, 429]


def _numbers(node, where=""):
    """Every place a schema says "number": a float amount a client would round."""
    if isinstance(node, dict):
        if node.get("type") == "number":
            yield where
        for key, value in node.items():
            yield from _numbers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numbers(value, f"{where}/{index}")


def test_money_is_a_decimal_string_with_its_currency_everywhere(document):
    money = document["components"]["schemas"]["Money"]

    assert list(_numbers(document)) == []
    assert set(money["required"]) == {"amount", "currency"}
    assert re.search(money["properties"]["amount"]["pattern"], "-12.50")
    assert not re.search(money["properties"]["amount"]["pattern"], "1e3")
    assert money["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"


def test_an_idempotent_answer_and_its_replay_write_datetimes_in_iso_8601(client, token):
    body = json.dumps({"title": "Mugs", "description": "white"}).encode()

    first = _post(client, "/sourcing-requests", body, token, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = _post(client, "/sourcing-requests", body, token, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert first.json() == replay.json()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", first.json()["created_at"]
    )

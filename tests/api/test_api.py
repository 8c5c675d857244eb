import json
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from logistics.models import Parcel
from orders import services as orders_services
from orders.models import Order, PurchaseOrder, SourcingRequest
from payments.models import LedgerTransaction
from payments.selectors import wallet_balance
from procurement.accounts import integrations
from procurement.accounts.models import Membership, Role
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS
from procurement.core import apikeys
from procurement.core.models import ApiKey, IdempotentRequest
from tests.accounts.factories import MembershipFactory
from tests.api.factories import api_token, bearer
from tests.logistics.factories import (
    AddressFactory,
    StockItemFactory,
    WarehouseFactory,
    channel_with_zone,
)
from tests.orders.factories import (
    SupplierFactory,
    fund_wallet,
    paid_order,
    product_with_skus,
    staff_in,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post(client, path, body, token, **headers):
    return client.post(
        API + path, json.dumps(body), content_type="application/json", **bearer(token, **headers)
    )


def get(client, path, token, **params):
    return client.get(API + path, params, **bearer(token))


# --- authentication -----------------------------------------------------------------------------


def test_a_revoked_or_unknown_key_gets_401(client, company, owner):
    token = api_token(company, owner=owner)
    assert get(client, "/categories", token).status_code == 200
    key = ApiKey.objects.get(company=company)
    integrations.api_key_revoke(key=key, actor=owner)

    response = get(client, "/categories", token)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert get(client, "/categories", token[:-2] + "xx").status_code == 401
    assert client.get(API + "/categories").status_code == 401


def test_the_secret_is_stored_hashed_and_last_use_is_recorded(client, company, owner):
    token = api_token(company, owner=owner)
    key = ApiKey.objects.get(company=company)
    assert token.split(".", 1)[1] not in key.secret_hash
    assert key.last_used_at is None

    get(client, "/categories", token)

    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_stops_working_when_its_creator_leaves_or_is_deactivated(
    client, company, owner, member_of
):
    second_owner = member_of(company, Role.OWNER)
    leaving = api_token(company, owner=owner)
    staying = api_token(company, owner=second_owner)
    assert get(client, "/categories", leaving).status_code == 200

    Membership.objects.filter(company=company, user=owner).delete()

    assert get(client, "/categories", leaving).status_code == 401
    assert get(client, "/categories", staying).status_code == 200
    second_owner.is_active = False
    second_owner.save(update_fields=["is_active"])
    assert get(client, "/categories", staying).status_code == 401


def test_a_key_acts_as_its_creator_in_its_own_company(company, other_company, member_of):
    """The creator's membership read with the key is the one of the key's company, not another
    company the same person belongs to."""
    person = member_of(other_company, Role.OWNER)
    MembershipFactory(company=company, user=person, role=Role.OWNER)
    token = api_token(company, owner=person)
    Membership.objects.filter(company=company, user=person).update(role=Role.BUYER)

    key = integrations.api_key_authenticate(token=token)

    assert key.company == company
    assert (key.membership.company, key.membership.user) == (company, person)
    assert key.membership.role == Role.BUYER


def test_a_call_reads_the_key_in_one_query_and_counts_it_in_one_cache_call(
    client, company, token, django_assert_num_queries, settings
):
    get(client, "/orders", token)  # notes the key's first use (written once a minute)
    counted = []
    real_incr = apikeys.cache.incr

    def incr(*args, **kwargs):
        counted.append(args)
        return real_incr(*args, **kwargs)

    # The key and the page of orders: two queries, whatever the page holds.
    with (
        django_assert_num_queries(2),
        mock.patch.object(apikeys.cache, "incr", side_effect=incr),
        mock.patch.object(apikeys.cache, "add", side_effect=AssertionError("counted twice")),
    ):
        assert get(client, "/orders", token).status_code == 200
    assert len(counted) == 1


def test_a_key_without_the_scope_gets_403(client, company, owner):
    token = api_token(company, owner=owner, scopes=["catalog:read"])

    response = get(client, "/orders", token)

    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert "orders:read" in response.json()["message"]


def test_over_the_rate_limit_the_key_gets_429(client, company, owner, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    token = api_token(company, owner=owner)
    codes = [get(client, "/categories", token).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    response = get(client, "/categories", token)
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_validation_errors_name_the_field(client, company, token):
    response = post(client, "/orders", {"lines": [{"product_id": 1, "quantity": 0}]}, token)

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": response.json()["message"],
        "field": "lines.0.quantity",
    }


# --- catalog ------------------------------------------------------------------------------------


def test_products_with_prices_in_the_company_currency_and_cny(client, company, token, rates):
    product, _skus = product_with_skus()

    page = get(client, "/products", token, limit=10).json()

    item = next(i for i in page["items"] if i["id"] == product.pk)
    assert item["price_from"]["cny"] == {"amount": "10.00", "currency": "CNY"}
    assert item["price_from"]["local"]["currency"] == "USD"
    assert Decimal(item["price_from"]["local"]["amount"]) > 0


def test_products_page_by_cursor(client, company, token, rates):
    for _ in range(3):
        product_with_skus()

    first = get(client, "/products", token, limit=2).json()
    second = get(client, "/products", token, limit=2, cursor=first["next_cursor"]).json()

    assert len(first["items"]) == 2
    assert first["next_cursor"]
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def test_price_for_a_quantity_follows_the_tiers_and_moq(client, company, token, rates):
    product, _skus = product_with_skus()

    tiered = get(client, f"/products/{product.pk}/price", token, quantity=60).json()
    too_few = get(client, f"/products/{product.pk}/price", token, quantity=5).json()

    assert tiered["ok"] is True
    assert tiered["total"]["cny"] == {"amount": "480.00", "currency": "CNY"}
    assert too_few["ok"] is False
    assert too_few["errors"]


# --- orders -------------------------------------------------------------------------------------


def _order_body(product, skus, quantity=30, **extra):
    return {
        "lines": [
            {"product_id": product.pk, "sku_id": skus[0].pk, "quantity": quantity},
            {"product_id": product.pk, "sku_id": skus[1].pk, "quantity": quantity},
        ],
        **extra,
    }


def test_an_order_from_lines_is_priced_as_checkout_and_paid(client, company, token, rates):
    fund_wallet(company, Decimal("1000.00"))
    product, skus = product_with_skus()

    response = post(client, "/orders", _order_body(product, skus, pay=True), token)

    assert response.status_code == 201, response.content
    data = response.json()
    # 60 units reach the ¥8 tier.
    assert data["goods"] == {"amount": "480.00", "currency": "CNY"}
    assert data["status"] == Order.Status.PAID
    assert len(data["purchase_orders"]) == 1
    assert wallet_balance(company=company, currency="USD") < Decimal("1000.00")


def test_an_order_below_moq_is_refused_with_the_line(client, company, token, rates):
    product, skus = product_with_skus(moq=40, tiers=[(40, Decimal("10.00"))])

    response = post(client, "/orders", _order_body(product, skus, quantity=10), token)

    assert response.status_code == 422
    assert response.json()["code"] == "quantity"
    assert response.json()["field"] == "lines[0].quantity"
    assert not Order.objects.exists()


def test_paying_without_balance_is_refused_and_nothing_is_written(client, company, token, rates):
    product, skus = product_with_skus()

    response = post(client, "/orders", _order_body(product, skus, pay=True), token)

    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_balance"
    assert not Order.objects.exists()


def test_idempotency_key_replays_the_first_answer(client, company, token, rates):
    fund_wallet(company, Decimal("1000.00"))
    product, skus = product_with_skus()
    body = _order_body(product, skus, pay=True)

    first = post(client, "/orders", body, token, HTTP_IDEMPOTENCY_KEY="order-1")
    again = post(client, "/orders", body, token, HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert LedgerTransaction.objects.filter(reference__startswith="order:").count() == 1


def test_idempotency_key_with_another_body_is_refused(client, company, token, rates):
    fund_wallet(company, Decimal("1000.00"))
    product, skus = product_with_skus()
    post(client, "/orders", _order_body(product, skus), token, HTTP_IDEMPOTENCY_KEY="k")

    response = post(
        client, "/orders", _order_body(product, skus, quantity=40), token, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_mismatch"
    assert response.json()["field"] == "Idempotency-Key"
    assert Order.objects.count() == 1


def test_a_refused_request_does_not_use_up_its_key(client, company, token, rates):
    product, skus = product_with_skus()
    body = _order_body(product, skus, pay=True)
    refused = post(client, "/orders", body, token, HTTP_IDEMPOTENCY_KEY="retry-me")
    fund_wallet(company, Decimal("1000.00"))

    accepted = post(client, "/orders", body, token, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert refused.status_code == 422
    assert accepted.status_code == 201
    assert IdempotentRequest.objects.filter(key="retry-me").count() == 1


def test_orders_list_and_detail_with_events(client, company, owner, token, rates):
    product, skus = product_with_skus()
    order = paid_order(owner, company, (product, {skus[0]: 30}))

    listing = get(client, "/orders", token).json()
    detail = get(client, f"/orders/{order.pk}", token).json()
    po = order.purchase_orders.get()
    po_detail = get(client, f"/purchase-orders/{po.pk}", token).json()

    assert [o["id"] for o in listing["items"]] == [order.pk]
    assert [e["to_status"] for e in detail["events"]][-1] == Order.Status.PAID
    assert po_detail["events"][0]["to_status"] == PurchaseOrder.Status.PENDING


# --- sourcing -----------------------------------------------------------------------------------


def test_sourcing_request_from_links_then_accept_the_quote(client, company, token, rates):
    created = post(
        client,
        "/sourcing-requests",
        {"title": "Phone cases", "links": ["https://detail.1688.com/offer/623456789012.html"]},
        token,
    )
    assert created.status_code == 201, created.content
    assert created.json()["links"][0]["external_id"] == "623456789012"
    request_obj = SourcingRequest.objects.get(pk=created.json()["id"])
    manager = staff_in(ACCOUNT_MANAGERS)
    quote = orders_services.sourcing_quote_create(
        request=request_obj,
        actor=manager,
        lines=[
            {
                "supplier": SupplierFactory(),
                "description": "Matte silicone case",
                "unit_price_cny": Decimal("3.20"),
                "moq": 300,
                "quantity": 500,
                "lead_time_days": 12,
            }
        ],
    )
    orders_services.sourcing_quote_send(quote=quote, actor=manager)

    detail = get(client, f"/sourcing-requests/{request_obj.pk}", token).json()
    accepted = post(client, f"/sourcing-quotes/{quote.pk}/accept", {}, token)

    assert detail["quotes"][0]["lines"][0]["unit_price"] == {"amount": "3.20", "currency": "CNY"}
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["goods"] == {"amount": "1600.00", "currency": "CNY"}


def test_a_bad_link_is_refused_with_a_message(client, company, token):
    response = post(
        client, "/sourcing-requests", {"title": "x", "links": ["https://example.com/a"]}, token
    )

    assert response.status_code == 422
    assert "1688" in response.json()["message"]


# --- logistics and wallet -----------------------------------------------------------------------


def test_dropshipping_parcel_to_an_end_customer(client, company, token, rates):
    item = StockItemFactory(company=company, warehouse=WarehouseFactory())
    channel = channel_with_zone()
    address = {
        "name": "Jane Doe",
        "phone": "+14155550123",
        "line1": "1 Market Street",
        "city": "San Francisco",
        "region": "CA",
        "postcode": "94105",
        "country": "US",
    }

    response = post(
        client,
        "/parcels",
        {"item_ids": [item.pk], "channel_id": channel.pk, "address": address},
        token,
        HTTP_IDEMPOTENCY_KEY="parcel-1",
    )

    assert response.status_code == 201, response.content
    parcel = Parcel.objects.get(pk=response.json()["id"])
    assert parcel.destination.kind == "end_customer"
    assert response.json()["item_ids"] == [item.pk]
    assert get(client, f"/parcels/{parcel.pk}", token).json()["status"] == Parcel.Status.DRAFT
    assert get(client, "/stock", token).json()["items"][0]["status"] == "reserved"


def test_wallet_balance_and_statement(client, company, token, rates):
    fund_wallet(company, Decimal("250.00"))

    balances = get(client, "/wallet", token).json()
    statement = get(client, "/wallet/statement", token).json()

    assert balances == [{"balance": {"amount": "250.00", "currency": "USD"}}]
    assert statement["items"][0]["amount"] == {"amount": "250.00", "currency": "USD"}


# --- isolation ----------------------------------------------------------------------------------


def test_another_companys_ids_answer_404_everywhere(
    client, company, other_company, member_of, rates
):
    other_owner = member_of(other_company)
    product, skus = product_with_skus()
    order = paid_order(other_owner, other_company, (product, {skus[0]: 30}))
    po = order.purchase_orders.get()
    sourcing = orders_services.sourcing_request_create(
        company=other_company, actor=other_owner, title="x", description="y"
    )
    item = StockItemFactory(company=other_company, warehouse=WarehouseFactory())
    channel = channel_with_zone()
    their_address = AddressFactory(company=other_company)
    parcel = Parcel.objects.create(
        company=other_company,
        warehouse=item.warehouse,
        destination=their_address,
        channel=channel,
        currency="USD",
    )
    token = api_token(company)
    fund_wallet(company, Decimal("1000.00"))

    reads = [
        f"/orders/{order.pk}",
        f"/purchase-orders/{po.pk}",
        f"/sourcing-requests/{sourcing.pk}",
        f"/parcels/{parcel.pk}",
    ]
    for path in reads:
        assert get(client, path, token).status_code == 404, path
    writes = [
        (f"/orders/{order.pk}/pay", {}),
        ("/sourcing-quotes/999999/accept", {}),
        (
            "/parcels",
            {"item_ids": [item.pk], "channel_id": channel.pk, "address_id": their_address.pk},
        ),
        (
            "/orders",
            {
                "lines": [{"product_id": product.pk, "sku_id": skus[0].pk, "quantity": 30}],
                "destination_id": their_address.pk,
            },
        ),
    ]
    for path, body in writes:
        assert post(client, path, body, token).status_code == 404, path
    assert get(client, "/orders", token).json()["items"] == []
    assert get(client, "/parcels", token).json()["items"] == []
    assert get(client, "/stock", token).json()["items"] == []
    assert get(client, "/sourcing-requests", token).json()["items"] == []
    # Stock of another company cannot be packed: its ids are unknown here.
    own_address = AddressFactory(company=company)
    response = post(
        client,
        "/parcels",
        {"item_ids": [item.pk], "channel_id": channel.pk, "address_id": own_address.pk},
        token,
    )
    assert response.status_code == 422
    assert timezone.now()

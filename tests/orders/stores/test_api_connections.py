"""Managing store connections through the API: the same services and role rules as the pages,
company-scoped, idempotent, and no answer ever carries a secret."""

import json
from decimal import Decimal

import pytest

from orders.stores import crypto
from orders.stores.models import StoreConnection, VariantLink
from procurement.accounts.models import Role
from procurement.core import apikeys
from tests.api.factories import ALL_SCOPES, api_token, bearer
from tests.logistics.factories import channel_with_zone
from tests.orders.stores.conftest import (
    SHOP,
    SHOP_SECRET,
    SHOP_TOKEN,
    SITE,
    WOO_KEY,
    WOO_SECRET,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/stores"
SECRETS = (SHOP_TOKEN, SHOP_SECRET, WOO_KEY, WOO_SECRET)


@pytest.fixture
def headers(company, owner):
    return bearer(api_token(company, owner=owner))


def _post(client, path, body, headers, **extra):
    return client.post(
        API + path, json.dumps(body), content_type="application/json", **headers, **extra
    )


def _no_secret(response):
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text
    body = response.json()
    if "code" not in body:
        assert not {"access_key", "access_secret", "client_secret", "webhook_token"} & set(body)


def _member_headers(company, user):
    issued = apikeys.api_key_create(company=company, created_by=user, name="ERP", scopes=ALL_SCOPES)
    return bearer(issued.token)


SHOPIFY_BODY = {
    "platform": "shopify",
    "name": "Main shop",
    "shop": f"https://{SHOP}/",
    "access_key": SHOP_TOKEN,
    "client_secret": SHOP_SECRET,
}


def test_owner_connects_a_shopify_store_with_its_settings(client, company, headers, shopify):
    channel = channel_with_zone()
    body = {
        **SHOPIFY_BODY,
        "shipping_channel_id": channel.pk,
        "auto_pay": True,
        "auto_pay_limit": "250.00",
        "notify_customer": False,
        "markup_percent": "80",
        "brand_name": "Acme",
    }

    response = _post(client, "", body, headers)

    assert response.status_code == 201, response.content
    shown = response.json()
    connection = StoreConnection.objects.get(company=company)
    assert shown["id"] == connection.pk
    assert (shown["platform"], shown["shop"], shown["status"], shown["webhook_status"]) == (
        "shopify",
        SHOP,
        "active",
        "registered",
    )
    assert shown["auto_pay_limit"] == {"amount": "250.00", "currency": "USD"}
    assert (shown["markup_percent"], shown["brand_name"]) == ("80.00", "Acme")
    assert shown["shipping_channel_id"] == channel.pk
    assert shown["notify_customer"] is False
    assert crypto.decrypt(connection.access_key_encrypted) == SHOP_TOKEN
    assert len(shopify.shops[SHOP].webhooks) == 3
    assert shopify.shops[SHOP].calls[0] == "ShopCheck"
    _no_secret(response)


def test_a_woocommerce_store_is_connected_with_key_and_secret(client, company, headers, woo):
    body = {
        "platform": "woocommerce",
        "shop": SITE,
        "access_key": WOO_KEY,
        "access_secret": WOO_SECRET,
    }

    response = _post(client, "", body, headers)

    assert response.status_code == 201, response.content
    assert response.json()["auto_pay"] is False
    assert response.json()["markup_percent"] == "100.00"
    assert {hook["topic"] for hook in woo.site(SITE).webhooks.values()} == {
        "order.created",
        "order.updated",
    }
    _no_secret(response)


def test_refused_credentials_save_nothing_and_answer_the_error_shape(client, headers):
    response = _post(client, "", {**SHOPIFY_BODY, "access_key": "shpat_wrong"}, headers)

    assert response.status_code == 422
    assert response.json()["field"] == "access_key"
    assert set(response.json()) == {"code", "message", "field"}
    assert not StoreConnection.objects.exists()
    _no_secret(response)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shop": "shop.example.com"}, "shop"),
        ({"platform": "woocommerce", "shop": "http://woo.example.com"}, "shop"),
        ({"client_secret": ""}, "client_secret"),
        ({"shipping_channel_id": 999999}, "shipping_channel_id"),
    ],
)
def test_bad_connection_input_names_its_field(client, headers, change, field):
    response = _post(client, "", {**SHOPIFY_BODY, **change}, headers)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not StoreConnection.objects.exists()


def test_the_same_store_twice_is_refused(client, headers, shop_connection):
    response = _post(client, "", SHOPIFY_BODY, headers)

    assert response.status_code == 422
    assert response.json()["field"] == "shop"


def test_connecting_replays_under_the_same_idempotency_key(client, headers, shopify):
    first = _post(client, "", SHOPIFY_BODY, headers, HTTP_IDEMPOTENCY_KEY="connect-1")
    again = _post(client, "", SHOPIFY_BODY, headers, HTTP_IDEMPOTENCY_KEY="connect-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert StoreConnection.objects.count() == 1
    _no_secret(again)


@pytest.mark.parametrize("role", [Role.BUYER, Role.APPROVER, Role.FINANCE, Role.VIEWER])
def test_only_owners_manage_connections(client, company, member_of, role, shop_connection):
    headers = _member_headers(company, member_of(company, role))
    pk = shop_connection.pk
    for path, body in [
        ("", SHOPIFY_BODY),
        (f"/{pk}/settings", {"auto_pay": False}),
        (f"/{pk}/pause", {}),
        (f"/{pk}/resume", {}),
        (f"/{pk}/credentials", {"access_key": SHOP_TOKEN}),
        (f"/{pk}/remove", {}),
    ]:
        response = _post(client, path, body, headers)
        assert response.status_code == 403, path
        assert response.json()["code"] == "role_refused"
    connection = StoreConnection.objects.get(pk=pk)
    assert connection.status == StoreConnection.Status.ACTIVE
    assert connection.auto_pay is True
    # Reading stays open to every role.
    assert client.get(f"{API}/{pk}", **headers).status_code == 200


def test_a_key_without_the_write_scope_is_refused(client, company, owner, shop_connection):
    headers = bearer(api_token(company, owner=owner, scopes=["orders:read"]))

    response = _post(client, f"/{shop_connection.pk}/pause", {}, headers)

    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


def test_another_companys_store_is_404_for_every_action(
    client, other_company, member_of, shop_connection, goods
):
    stranger = member_of(other_company, Role.OWNER)
    headers = bearer(api_token(other_company, owner=stranger))
    product, _skus = goods
    pk = shop_connection.pk
    for path, body in [
        (f"/{pk}/settings", {"auto_pay": False}),
        (f"/{pk}/pause", {}),
        (f"/{pk}/resume", {}),
        (f"/{pk}/credentials", {"access_key": SHOP_TOKEN}),
        (f"/{pk}/remove", {}),
        (f"/{pk}/publish", {"product_id": product.pk}),
    ]:
        response = _post(client, path, body, headers)
        assert response.status_code == 404, path
        assert set(response.json()) == {"code", "message", "field"}
    connection = StoreConnection.objects.get(pk=pk)
    assert connection.status == StoreConnection.Status.ACTIVE
    assert not VariantLink.objects.exists()


def test_settings_change_what_is_sent_and_keep_the_rest(client, headers, shop_connection):
    path = f"/{shop_connection.pk}/settings"

    response = _post(client, path, {"markup_percent": "45.5", "auto_pay_limit": None}, headers)

    assert response.status_code == 200, response.content
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert connection.markup_percent == Decimal("45.50")
    assert connection.auto_pay_limit is None
    assert connection.auto_pay is True  # not sent: kept
    assert connection.shipping_channel_id == shop_connection.shipping_channel_id
    assert response.json()["auto_pay_limit"] is None
    refused = _post(client, path, {"markup_percent": "-1"}, headers)
    assert refused.status_code == 422
    assert StoreConnection.objects.get(pk=shop_connection.pk).markup_percent == Decimal("45.50")


def test_pause_and_resume(client, headers, shop_connection, shopify):
    paused = _post(client, f"/{shop_connection.pk}/pause", {}, headers)
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    twice = _post(client, f"/{shop_connection.pk}/pause", {}, headers)
    assert twice.status_code in (409, 422)
    assert set(twice.json()) == {"code", "message", "field"}

    resumed = _post(client, f"/{shop_connection.pk}/resume", {}, headers)

    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    assert shopify.shops[SHOP].calls[-1] == "ShopCheck"


def test_resume_with_revoked_credentials_is_refused(client, headers, shop_connection, shopify):
    _post(client, f"/{shop_connection.pk}/pause", {}, headers)
    shopify.revoke(SHOP)

    response = _post(client, f"/{shop_connection.pk}/resume", {}, headers)

    assert response.status_code == 422
    assert response.json()["code"] == "store_credentials_refused"
    assert StoreConnection.objects.get(pk=shop_connection.pk).status != "active"


def test_new_credentials_bring_a_revoked_store_back(client, headers, shop_connection, shopify):
    from orders.stores import services
    from orders.stores.exceptions import CredentialsRefused

    shopify.revoke(SHOP)
    with pytest.raises(CredentialsRefused):
        services.store_orders_poll(connection=shop_connection)
    path = f"/{shop_connection.pk}/credentials"

    wrong = _post(client, path, {"access_key": "shpat_wrong"}, headers)
    shopify.shops[SHOP].token = "shpat_new_token"
    right = _post(client, path, {"access_key": "shpat_new_token"}, headers)

    assert wrong.status_code == 422
    assert wrong.json()["field"] == "access_key"
    assert right.status_code == 200, right.content
    assert (right.json()["status"], right.json()["webhook_status"]) == ("active", "registered")
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert crypto.decrypt(connection.access_key_encrypted) == "shpat_new_token"
    assert "shpat_new_token" not in right.content.decode()
    _no_secret(right)


def test_remove_deletes_the_webhooks_and_forgets_the_credentials(
    client, headers, woo_connection, woo
):
    assert woo.site(SITE).webhooks

    response = _post(client, f"/{woo_connection.pk}/remove", {}, headers)

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["webhook_status"]) == (
        "removed",
        "removed",
    )
    assert woo.site(SITE).webhooks == {}
    connection = StoreConnection.objects.get(pk=woo_connection.pk)
    assert connection.access_key_encrypted == ""
    assert client.get(f"{API}/{woo_connection.pk}", **headers).status_code == 404
    again = _post(client, f"/{woo_connection.pk}/remove", {}, headers)
    assert again.status_code == 404


def test_publish_a_product_as_a_draft(client, headers, shop_connection, shopify, goods, wallet):
    product, skus = goods

    response = _post(client, f"/{shop_connection.pk}/publish", {"product_id": product.pk}, headers)

    assert response.status_code == 200, response.content
    shown = response.json()
    draft = next(iter(shopify.shops[SHOP].products.values()))
    assert draft["status"] == "DRAFT"
    assert shown["product_id"] == product.pk
    assert shown["external_product_id"]
    assert sorted(v["sku_code"] for v in shown["variants"]) == sorted(s.code for s in skus)
    assert VariantLink.objects.filter(connection=shop_connection, published=True).count() == 2


def test_publish_refuses_an_unknown_product_and_a_viewer(
    client, company, member_of, headers, shop_connection, goods
):
    unknown = _post(client, f"/{shop_connection.pk}/publish", {"product_id": 999999}, headers)
    viewer = _member_headers(company, member_of(company, Role.VIEWER))
    product, _skus = goods
    refused = _post(client, f"/{shop_connection.pk}/publish", {"product_id": product.pk}, viewer)

    assert (unknown.status_code, unknown.json()["field"]) == (422, "product_id")
    assert refused.status_code == 403
    assert not VariantLink.objects.exists()


def test_channel_rules_are_set_shown_and_removed_through_the_api(client, headers, shop_connection):
    germany = channel_with_zone(countries=["DE"])
    path = f"/{shop_connection.pk}/channel-rules"

    response = _post(client, path, {"country": "de", "channel_id": germany.pk}, headers)

    assert response.status_code == 200, response.content
    assert response.json()["channel_rules"] == [{"country": "DE", "channel_id": germany.pk}]
    listed = client.get(API, **headers).json()["items"]
    assert listed[0]["channel_rules"] == [{"country": "DE", "channel_id": germany.pk}]
    us_only = channel_with_zone(countries=["US"])
    refused = _post(client, path, {"country": "DE", "channel_id": us_only.pk}, headers)
    assert refused.status_code >= 400
    assert set(refused.json()) == {"code", "message", "field"}
    withdrawn = channel_with_zone(countries=["DE"], is_active=False)
    not_offered = _post(client, path, {"country": "DE", "channel_id": withdrawn.pk}, headers)
    assert not_offered.status_code == 422
    assert not_offered.json()["field"] == "channel_id"

    removed = _post(client, f"{path}/DE/remove", {}, headers)
    assert removed.status_code == 200
    assert removed.json()["channel_rules"] == []
    assert _post(client, f"{path}/DE/remove", {}, headers).status_code == 404


def test_store_list_queries_do_not_grow_with_channel_rules(
    client, company, headers, shop_connection, django_assert_max_num_queries
):
    from orders.stores import services as store_services

    for country in ("DE", "FR", "IT"):
        channel = channel_with_zone(countries=[country])
        store_services.channel_rule_set(
            connection=shop_connection, country=country, channel=channel
        )
    client.get(API, **headers)  # warm the key's caches
    with django_assert_max_num_queries(12):
        shown = client.get(API, **headers).json()["items"][0]
    assert len(shown["channel_rules"]) == 3


def test_only_owners_set_channel_rules_and_another_company_gets_404(
    client, company, member_of, other_company, shop_connection
):
    germany = channel_with_zone(countries=["DE"])
    body = {"country": "DE", "channel_id": germany.pk}
    buyer = member_of(company, Role.BUYER)
    refused = _post(
        client, f"/{shop_connection.pk}/channel-rules", body, _member_headers(company, buyer)
    )
    assert refused.status_code == 403
    stranger = member_of(other_company, Role.OWNER)
    foreign = _post(
        client,
        f"/{shop_connection.pk}/channel-rules",
        body,
        bearer(api_token(other_company, owner=stranger)),
    )
    assert foreign.status_code == 404
    assert not shop_connection.channel_rules.exists()

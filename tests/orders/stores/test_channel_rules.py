"""The channel per destination country: rules checked against what a channel carries where
(the logistics rule), used at intake for the customer's country, and an order whose channel
cannot take it waiting with the reason."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from orders.stores import services
from orders.stores.models import ChannelRule, StoreConnection, StoreOrder, VariantLink
from procurement.core.exceptions import DomainError
from tests.accounts.factories import CompanyFactory, UserFactory
from tests.logistics.factories import ChannelFactory, channel_with_zone
from tests.orders.stores.conftest import shop_line
from tests.orders.stores.test_lifecycle import _shop_order

SO = StoreOrder.Status
BERLIN = {
    "address1": "Unter den Linden 1",
    "city": "Berlin",
    "zip": "10117",
    "country_code": "DE",
    "phone": "+49 30 1234567",
}


@pytest.fixture
def germany(db):
    return channel_with_zone(countries=["DE"], accepted_hazards=["battery_built_in"])


def test_a_rule_sends_the_orders_to_its_country_by_its_channel(
    client, shop_connection, shopify, goods, wallet, germany
):
    services.channel_rule_set(connection=shop_connection, country="de", channel=germany)
    _product, skus = goods
    _order, to_berlin = _shop_order(
        client, shop_connection, shopify, [shop_line(skus[0])], address=BERLIN
    )
    assert to_berlin.status == SO.PAID, to_berlin.reason
    assert to_berlin.order.shipping_channel == germany
    _order, to_london = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert to_london.order.shipping_channel == shop_connection.shipping_channel


def test_setting_a_country_again_replaces_its_rule_and_removing_it_restores_the_default(
    shop_connection, germany
):
    other = channel_with_zone(countries=["DE", "FR"])
    services.channel_rule_set(connection=shop_connection, country="DE", channel=germany)
    rule = services.channel_rule_set(connection=shop_connection, country="DE", channel=other)
    assert ChannelRule.objects.get().channel == other
    assert rule.country.code == "DE"
    assert services.channel_rule_remove(connection=shop_connection, country="de") == 1
    assert not ChannelRule.objects.exists()
    assert services.channel_rule_remove(connection=shop_connection, country="DE") == 0


@pytest.mark.parametrize(
    ("country", "make", "message"),
    [
        ("DE", lambda: channel_with_zone(countries=["US"]), "Does not deliver"),
        ("DE", lambda: ChannelFactory(countries=["DE"]), "No rate for this destination"),
        ("DE", lambda: channel_with_zone(countries=["DE"], is_active=False), "offered to you"),
        ("XX", lambda: channel_with_zone(countries=["DE"]), "Choose a destination country"),
        ("", lambda: channel_with_zone(countries=["DE"]), "Choose a destination country"),
    ],
)
def test_a_rule_the_channel_cannot_serve_is_refused(shop_connection, country, make, message):
    with pytest.raises(DomainError, match=message):
        services.channel_rule_set(connection=shop_connection, country=country, channel=make())
    assert not ChannelRule.objects.exists()


def test_goods_the_rules_channel_does_not_carry_wait_with_the_reason_until_the_rule_changes(
    client, shop_connection, shopify, goods, wallet, germany
):
    product, skus = goods
    product.hazards = ["battery_built_in"]
    product.save(update_fields=["hazards"])
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.HELD
    assert "the channel for United Kingdom, cannot take this parcel" in store_order.reason
    assert "Does not carry: battery built into the device." in store_order.reason
    assert not Order.objects.exists()
    carrier = channel_with_zone(countries=["GB"], accepted_hazards=["battery_built_in"])
    services.channel_rule_set(connection=shop_connection, country="GB", channel=carrier)
    store_order = services.store_order_retry(store_order=store_order)
    assert store_order.status == SO.PAID, store_order.reason
    assert store_order.order.shipping_channel == carrier


def test_no_default_and_no_rule_for_the_country_holds_the_order(
    client, shop_connection, shopify, goods, wallet
):
    StoreConnection.objects.filter(pk=shop_connection.pk).update(shipping_channel=None)
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.HELD
    assert store_order.reason == (
        "Choose a shipping channel for this store, or a channel rule for United Kingdom."
    )


def test_a_default_channel_that_does_not_serve_the_country_holds_the_order(
    client, shop_connection, shopify, goods, wallet, germany
):
    StoreConnection.objects.filter(pk=shop_connection.pk).update(shipping_channel=germany)
    _product, skus = goods
    _order, store_order = _shop_order(client, shop_connection, shopify, [shop_line(skus[0])])
    assert store_order.status == SO.HELD
    assert "Does not deliver to this destination." in store_order.reason


# --- the page ----------------------------------------------------------------------------------


def test_the_owner_sets_and_removes_rules_on_the_connections_page(
    owner_client, shop_connection, germany
):
    url = reverse("stores:channels", args=[shop_connection.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {"country": "DE", "channel": germany.pk})
    assert response.status_code == 302
    assert ChannelRule.objects.get().channel == germany
    page = owner_client.get(url).content.decode()
    assert "Germany (DE)" in page
    assert str(germany) in page
    detail = owner_client.get(reverse("stores:detail", args=[shop_connection.pk]))
    assert url in detail.content.decode()
    owner_client.post(
        reverse("stores:channel-remove", args=[shop_connection.pk]), {"country": "DE"}
    )
    assert not ChannelRule.objects.exists()


def test_a_refused_rule_shows_the_reason_and_saves_nothing(owner_client, shop_connection):
    us_only = channel_with_zone(countries=["US"])
    response = owner_client.post(
        reverse("stores:channels", args=[shop_connection.pk]),
        {"country": "DE", "channel": us_only.pk},
    )
    assert response.status_code == 200
    assert "Does not deliver to this destination." in response.content.decode()
    assert not ChannelRule.objects.exists()


def test_mapped_products_the_channel_refuses_are_named(
    owner_client, shop_connection, goods, germany
):
    product, skus = goods
    product.hazards = ["liquids"]
    product.save(update_fields=["hazards"])
    VariantLink.objects.create(
        connection=shop_connection,
        external_variant_id="1",
        title="Perfume",
        product=product,
        sku=skus[0],
    )
    response = owner_client.post(
        reverse("stores:channels", args=[shop_connection.pk]),
        {"country": "DE", "channel": germany.pk},
        follow=True,
    )
    assert f"does not carry the hazards of: {product.title_en}" in response.content.decode()
    assert ChannelRule.objects.exists()


def test_another_companys_store_has_no_rules_page(owner_client, db):
    other = StoreConnection.objects.create(
        company=CompanyFactory(),
        platform="shopify",
        name="Theirs",
        shop="theirs.myshopify.com",
        created_by=UserFactory(),
        access_key_encrypted="x",
        webhook_secret_encrypted="x",
        auto_pay_limit=Decimal(1),
    )
    assert owner_client.get(reverse("stores:channels", args=[other.pk])).status_code == 404
    response = owner_client.post(
        reverse("stores:channel-remove", args=[other.pk]), {"country": "DE"}
    )
    assert response.status_code == 404

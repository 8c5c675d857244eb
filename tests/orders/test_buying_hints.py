"""What a buyer is told before committing: the rate lock's minutes, the spending limit, only the
channels that serve the destination; paying waits for the shortfall; roles see only what they
may use; catalog pages show "from" prices, SKU codes and lead times."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from procurement.accounts.models import Company, Role
from tests.logistics.factories import AddressFactory, channel_with_zone
from tests.orders.factories import (
    SourcingRequestFactory,
    SupplierFactory,
    fund_wallet,
    membership,
    place_order,
    product_with_skus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(rates):
    product, skus = product_with_skus()
    return product, skus


def _fill_cart(buyer, company, goods, quantity=20):
    product, skus = goods
    services.cart_add(user=buyer, company=company, product=product, quantities={skus[0]: quantity})


def test_checkout_states_the_lock_time_before_placing(buyer_client, buyer, company, goods):
    _fill_cart(buyer, company, goods)
    response = buyer_client.get(reverse("orders:checkout"))
    assert "locks the exchange rate for 15 minutes" in response.text


def test_checkout_warns_when_the_order_exceeds_the_spending_limit(
    buyer_client, buyer, company, goods
):
    limit = membership(buyer, company)
    limit.spending_limit = Decimal("5.00")
    limit.save(update_fields=["spending_limit"])
    _fill_cart(buyer, company, goods)

    response = buyer_client.get(reverse("orders:checkout"))

    assert "above your spending limit of 5.00 USD" in response.text


def test_no_warning_within_the_limit(buyer_client, buyer, company, goods):
    _fill_cart(buyer, company, goods)
    response = buyer_client.get(reverse("orders:checkout"))
    assert "above your spending limit" not in response.text


def test_the_channel_list_follows_the_destination(buyer_client, buyer, company, goods):
    _fill_cart(buyer, company, goods)
    to_us = channel_with_zone(name="America Express", countries=["US"])
    to_de = channel_with_zone(name="Europa Post", countries=["DE"])
    address = AddressFactory(company=company, country="DE")

    response = buyer_client.get(reverse("orders:checkout"), {"destination": address.pk})

    assert f'<option value="{to_de.pk}">' in response.text
    assert "Europa Post" in response.text
    assert "America Express" not in response.text
    assert to_us.name == "America Express"
    swapped = buyer_client.get(
        reverse("orders:checkout"),
        {"destination": address.pk},
        headers={"hx-request": "true", "hx-target": "landed-cost"},
    )
    assert 'id="channel-field" hx-swap-oob="true"' in swapped.text
    assert "Europa Post" in swapped.text
    assert "America Express" not in swapped.text


def test_pay_waits_for_the_shortfall_with_a_prefilled_top_up(buyer_client, buyer, company, goods):
    product, skus = goods
    order = place_order(buyer, company, (product, {skus[0]: 20}))

    response = buyer_client.get(reverse("orders:order-pay", args=[order.pk]))

    text = response.text
    assert "disabled" in text.split("from my wallet")[0].rsplit("<button", 1)[1]
    top_up = reverse("payments:top-up-create")
    assert f"{top_up}?next=%2Forders%2F{order.pk}%2Fpay%2F&amp;amount=" in text

    fund_wallet(company, "1000.00")
    paid_page = buyer_client.get(reverse("orders:order-pay", args=[order.pk])).text
    assert "disabled" not in paid_page.split("from my wallet")[0].rsplit("<button", 1)[1]


def test_fee_thresholds_are_in_the_company_currency(client, member_of, rates):
    company = Company.objects.create(
        legal_name="Rhein Handel GmbH", country="DE", wallet_currency="EUR"
    )
    client.force_login(member_of(company, Role.OWNER))
    response = client.get(reverse("payments:wallet"))
    assert "EUR of orders brings it down" in response.text
    assert "USD of orders brings it down" not in response.text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_that_cannot_buy_are_not_shown_buying(client, company, member_of, goods, role):
    product, _skus = goods
    client.force_login(member_of(company, role))

    page = client.get(reverse("catalog:product", args=[product.pk])).text
    assert "Add to cart" not in page
    assert reverse("orders:sourcing-create") not in page
    for url in ("logistics:stock-list", "logistics:parcel-list", "logistics:address-list"):
        shown = client.get(reverse(url)).text
        assert reverse("logistics:parcel-create") not in shown
        assert reverse("logistics:address-create") not in shown
    assert reverse("orders:cart") not in client.get(reverse("orders:order-list")).text


def test_catalog_shows_from_prices_sku_codes_and_lead_times(owner_client, goods):
    product, skus = goods
    product.lead_time_days = 7
    product.save(update_fields=["lead_time_days"])

    listing = owner_client.get(reverse("catalog:search"), {"q": product.title_en}).text
    detail = owner_client.get(reverse("catalog:product", args=[product.pk])).text

    card = listing.split(f"/catalog/p/{product.pk}/", 1)[1][:1500]
    assert "<strong>from " in card
    assert " USD</strong>" in card
    assert f"SKU {skus[0].code}" in detail
    assert "within 7 days of payment" in detail


def test_sourcing_quotes_show_the_merchant_currency_beside_cny(
    owner_client, owner, company, rates, account_manager
):
    sourcing = SourcingRequestFactory(company=company, created_by=owner)
    quote = services.sourcing_quote_create(
        request=sourcing,
        actor=account_manager,
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
    services.sourcing_quote_send(quote=quote, actor=account_manager)

    text = owner_client.get(reverse("orders:sourcing-detail", args=[sourcing.pk])).text

    assert "¥3.20" in text
    assert "¥1,600.00" in text
    assert text.count(" USD</span>") >= 2

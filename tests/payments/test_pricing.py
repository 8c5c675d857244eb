"""One price: the landed cost shown at checkout is the amount the FX quote charges.

`payments.pricing.price()` rounds each figure once, to the wallet currency's minor unit; the
checkout's landed cost (`orders.selectors.landed_cost`) and the quote (`fx_quote_create`) both
call it. The properties below hold for any cart total, wallet currency (JPY has no decimals),
rate, markup, fee rate and minimum fee; the last test walks a real cart through the checkout page
and pays with the quote.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Order
from payments import pricing, selectors, services
from payments.models import FeeSchedule, FeeTier, FxMarkup, FxRate
from payments.money import minor_unit, quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY, WALLET_CURRENCY_CODES
from procurement.accounts.models import Role
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates

cart_totals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000000"), places=2)
wallet_currencies = st.sampled_from(sorted(WALLET_CURRENCY_CODES))
# 1 EUR = x of the wallet currency (or of CNY): from a strong currency to a weak one.
eur_rates = st.decimals(min_value=Decimal("0.3"), max_value=Decimal("2000"), places=5)
markups = st.integers(min_value=0, max_value=2000)  # FxMarkup allows at most 20%
fee_rates = st.integers(min_value=0, max_value=5000)  # FeeTier allows at most 50%
minimum_fees = st.decimals(min_value=Decimal("0"), max_value=Decimal("200"), places=2)


def _is_money(amount: Decimal, currency: str) -> bool:
    return -amount.as_tuple().exponent == minor_unit(currency)


# --- The pure rule --------------------------------------------------------------------------------


@given(
    amount=cart_totals,
    currency=st.sampled_from([*sorted(WALLET_CURRENCY_CODES), "KWD"]),
    mid=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=8),
    markup=markups,
    fee_bps=fee_rates,
    minimum=minimum_fees,
    usd_rate=st.one_of(
        st.none(), st.decimals(min_value=Decimal("0.1"), max_value=Decimal("500"), places=6)
    ),
)
@example(Decimal("1000.00"), "JPY", Decimal("0.05"), 200, 300, Decimal("5"), Decimal("144"))
def test_every_figure_is_rounded_once_to_the_wallet_currency(
    amount, currency, mid, markup, fee_bps, minimum, usd_rate
):
    price = pricing.price(
        amount=amount,
        currency=currency,
        goods_currency=SETTLEMENT_CURRENCY,
        mid_rate=mid,
        markup_bps=markup,
        fee_bps=fee_bps,
        minimum_fee_usd=minimum,
        usd_rate=usd_rate,
    )
    for figure in (price.charge, price.markup_amount, price.fee, price.total):
        assert _is_money(figure, currency), figure
    assert price.total == price.charge + price.fee
    assert price.charge == price.at_client_rate(amount)
    assert price.fee >= quantize(price.charge * fee_bps / Decimal(10_000), currency)
    if usd_rate is not None:
        assert price.fee >= quantize(minimum * usd_rate, currency)
    assert price.client_rate <= price.mid_rate
    assert price.markup_amount >= 0


def test_the_documented_jpy_example():
    """1000 CNY from a JPY wallet at mid 0.05 (1 JPY = 0.05 CNY) with a 2% markup and a 3% fee of
    at least 5 USD at 144 JPY: client 0.049, charge 20408.16 -> 20408, markup 408, fee
    max(612, 720) = 720, total 21128 (tests/payments/test_finance_reports.py)."""
    price = pricing.price(
        amount=Decimal("1000.00"),
        currency="JPY",
        goods_currency="CNY",
        mid_rate=Decimal("0.05"),
        markup_bps=200,
        fee_bps=300,
        minimum_fee_usd=Decimal("5.00"),
        usd_rate=Decimal("144"),
    )
    assert (price.client_rate, price.charge, price.markup_amount, price.fee, price.total) == (
        Decimal("0.049"),
        Decimal("20408"),
        Decimal("408"),
        Decimal("720"),
        Decimal("21128"),
    )


# --- Shown == charged, through the real selectors and services ------------------------------------


class LandedCostIsTheChargeTests(TestCase):
    """Each example sets its own rates, markup and fee schedule in its own transaction."""

    def given_a_market(self, *, currency, wallet_rate, cny_rate, markup, fee_bps, minimum):
        as_of = timezone.now() - timedelta(hours=1)
        rates = {"CNY": cny_rate, "USD": Decimal("1.0825"), currency: wallet_rate}
        for code, rate in rates.items():
            if code != "EUR":
                FxRate.objects.create(
                    base="EUR", quote=code, rate=rate, source=FxRate.Source.SEED, as_of=as_of
                )
        FxMarkup.objects.update_or_create(currency=currency, defaults={"markup_bps": markup})
        schedule = FeeSchedule.objects.create(
            effective_from=timezone.now() - timedelta(minutes=1), minimum_fee_usd=minimum
        )
        FeeTier.objects.create(schedule=schedule, volume_from_usd=0, rate_bps=fee_bps)
        return CompanyFactory(wallet_currency=currency)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        goods=cart_totals,
        suppliers=st.integers(min_value=1, max_value=4),
        currency=wallet_currencies,
        wallet_rate=eur_rates,
        cny_rate=st.decimals(min_value=Decimal("5"), max_value=Decimal("10"), places=4),
        markup=markups,
        fee_bps=fee_rates,
        minimum=minimum_fees,
    )
    @example(
        Decimal("320.00"), 1, "JPY", Decimal("162.47"), Decimal("7.8421"), 150, 300, Decimal("5")
    )
    @example(
        Decimal("0.01"), 1, "JPY", Decimal("1999.99"), Decimal("7.8421"), 2000, 0, Decimal("0")
    )
    def test_the_landed_cost_shown_is_what_the_quote_charges(
        self, goods, suppliers, currency, wallet_rate, cny_rate, markup, fee_bps, minimum
    ):
        company = self.given_a_market(
            currency=currency,
            wallet_rate=wallet_rate,
            cny_rate=cny_rate,
            markup=markup,
            fee_bps=fee_bps,
            minimum=minimum,
        )

        shown = order_selectors.landed_cost(
            company=company, goods_cny=goods, supplier_count=suppliers
        )
        quote = services.fx_quote_create(company=company, amount=shown.total_cny, with_fee=True)

        assert shown.total_local == quote.total_charge
        assert (shown.charge_local, shown.fee_local) == (quote.charge_amount, quote.fee_amount)
        assert (shown.mid_rate, shown.client_rate) == (quote.mid_rate, quote.client_rate)
        assert shown.markup_local == quote.markup_amount
        assert _is_money(shown.total_local, currency)


# --- A real cart, the checkout page, the payment --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("currency", ["USD", "JPY", "GBP"])
def test_the_checkout_page_shows_what_paying_takes_from_the_wallet(client, currency):
    seed_rates()
    company = CompanyFactory(wallet_currency=currency)
    buyer = MembershipFactory(company=company, role=Role.BUYER).user
    product_a, skus_a = product_with_skus()
    product_b, (sku_b,) = product_with_skus(skus=1, tiers=[(10, Decimal("13.37"))])
    for product, quantities in [
        (product_a, {skus_a[0]: 37, skus_a[1]: 16}),
        (product_b, {sku_b: 11}),
    ]:
        change = order_services.cart_add(
            user=buyer, company=company, product=product, quantities=quantities
        )
        assert change.ok, change.errors
    client.force_login(buyer)

    page = client.get(reverse("orders:checkout"))
    shown = page.context["cost"]
    assert page.status_code == 200
    assert shown.supplier_count == 2
    places = minor_unit(currency)
    assert f"{shown.total_local:,.{places}f} {currency}" in page.text

    placed = client.post(
        reverse("orders:checkout"),
        {"checkout_key": uuid.uuid4().hex, "signature": page.context["signature"]},
    )
    order = Order.objects.get(company=company)
    assert placed.url == reverse("orders:order-pay", args=[order.pk])
    assert order.quote.amount == shown.total_cny
    assert order.quote.total_charge == shown.total_local

    fund_wallet(company, shown.total_local * 2)
    before = selectors.wallet_balance(company=company, currency=currency)
    paid = client.post(reverse("orders:order-pay", args=[order.pk]), {"quote": order.quote_id})
    assert paid.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    after = selectors.wallet_balance(company=company, currency=currency)
    assert before - after == shown.total_local

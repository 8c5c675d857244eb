from decimal import Decimal

import pytest

from catalog.pricing import price_quote, quantity_errors, tier_for, unit_price
from tests.catalog.factories import ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db

TIERS = [(50, Decimal("10.00")), (200, Decimal("9.00")), (1000, Decimal("8.00"))]


@pytest.fixture
def product():
    return ProductFactory(moq=50, order_multiple=1, base_price=Decimal("10.00"), tiers=TIERS)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (1, "10.00"),  # below the first tier: the first tier applies
        (50, "10.00"),
        (199, "10.00"),
        (200, "9.00"),
        (201, "9.00"),
        (999, "9.00"),
        (1000, "8.00"),
        (50000, "8.00"),
    ],
)
def test_tier_is_chosen_at_its_boundaries(product, quantity, expected):
    assert tier_for(product=product, quantity=quantity).unit_price_cny == Decimal(expected)
    assert unit_price(product=product, total_quantity=quantity) == Decimal(expected)


def test_tier_comes_from_the_total_across_skus(product):
    red = SkuFactory(product=product)
    blue = SkuFactory(product=product)

    quote = price_quote(product=product, quantities={red: 120, blue: 80})

    assert quote.ok
    assert quote.total_quantity == 200
    assert quote.tier.min_quantity == 200
    assert [line.unit_price_cny for line in quote.lines] == [Decimal("9.00"), Decimal("9.00")]
    assert quote.total_cny == Decimal("1800.00")
    assert quote.next_tier.min_quantity == 1000


def test_a_sku_price_override_wins_over_the_tier(product):
    plain = SkuFactory(product=product)
    special = SkuFactory(product=product, price_cny=Decimal("12.50"))

    quote = price_quote(product=product, quantities={plain: 100, special: 100})

    lines = {line.sku: line for line in quote.lines}
    assert lines[plain].unit_price_cny == Decimal("9.00")
    assert lines[special].unit_price_cny == Decimal("12.50")
    assert lines[special].overridden
    assert lines[special].line_total_cny == Decimal("1250.00")
    assert quote.total_cny == Decimal("2150.00")


def test_below_moq_says_how_many_are_needed(product):
    quote = price_quote(product=product, quantities={None: 30})

    assert not quote.ok
    assert quote.errors == ("Minimum order is 50 pieces; you have 30.",)


def test_exactly_moq_is_fine(product):
    assert quantity_errors(product=product, quantity=50) == []
    assert quantity_errors(product=product, quantity=49)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (60, None),
        (70, None),
        (65, "Order in multiples of 10 pieces; 65 is not one (try 60 or 70)."),
        (45, "Order in multiples of 10 pieces; 45 is not one (try 50)."),
    ],
)
def test_order_multiples(quantity, message):
    product = ProductFactory(moq=50, order_multiple=10)

    errors = quantity_errors(product=product, quantity=quantity)

    if message is None:
        assert errors == []
    else:
        assert message in errors


def test_zero_quantity_is_refused(product):
    assert quantity_errors(product=product, quantity=0) == ["Choose how many you want."]


def test_a_sku_of_another_product_is_refused(product):
    stranger = SkuFactory()

    quote = price_quote(product=product, quantities={stranger: 60})

    assert not quote.ok
    assert quote.lines == ()


def test_prefetched_tiers_need_no_query(product, django_assert_num_queries):
    product = type(product).objects.prefetch_related("tiers").get(pk=product.pk)

    with django_assert_num_queries(0):
        quote = price_quote(product=product, quantities={None: 250})

    assert quote.total_cny == Decimal("2250.00")

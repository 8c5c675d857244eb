"""One price: an order requested through the API is priced, and its freight estimated, by the
same service code as the cart's checkout."""

import json
import uuid
from decimal import Decimal

import pytest

from orders import exceptions, selectors, services
from orders.models import Order
from tests.api.factories import api_token, bearer
from tests.logistics.factories import AddressFactory, channel_with_zone
from tests.orders.factories import SkuFactory, SupplierFactory, membership, product_with_skus

pytestmark = pytest.mark.django_db


def _what_was_charged(order: Order):
    return {
        "goods": order.goods_cny,
        "domestic_freight": order.domestic_freight_cny,
        "estimated_total": order.estimated_total,
        "chargeable_weight": order.chargeable_weight_kg,
        "intl_freight": order.intl_freight_estimate_cny,
        "lines": sorted(
            (line.sku_id, line.description, line.quantity, line.unit_price_cny, line.line_total_cny)
            for line in order.lines.all()
        ),
    }


@pytest.fixture
def goods():
    shirt, (red, blue) = product_with_skus(supplier=SupplierFactory())
    # A SKU's own price wins over the tier, on both paths; 28.5 kg fits the 30 kg zone.
    gold = SkuFactory(product=shirt, price_cny=Decimal("12.50"))
    mug, (white,) = product_with_skus(supplier=SupplierFactory(), skus=1, weight="0.100")
    return [(shirt, {red: 30, blue: 20, gold: 5}), (mug, {white: 10})]


def test_the_api_prices_an_order_exactly_as_the_cart(client, buyer, owner, company, rates, goods):
    channel = channel_with_zone()
    address = AddressFactory(company=company)
    for product, quantities in goods:
        services.cart_add(user=buyer, company=company, product=product, quantities=quantities)
    priced = selectors.priced_cart(cart=selectors.cart_for(user=buyer, company=company))
    from_cart = services.order_place_from_cart(
        user=buyer,
        company=company,
        membership=membership(buyer, company),
        checkout_key=uuid.uuid4().hex,
        signature=priced.signature(address.pk, channel.pk),
        destination=address,
        channel=channel,
    )

    response = client.post(
        "/api/v1/orders",
        json.dumps(
            {
                "lines": [
                    {"product_id": product.pk, "sku_id": sku.pk, "quantity": quantity}
                    for product, quantities in goods
                    for sku, quantity in quantities.items()
                ],
                "destination_id": address.pk,
                "channel_id": channel.pk,
            }
        ),
        content_type="application/json",
        **bearer(api_token(company, owner=owner)),
    )

    assert response.status_code == 201, response.content
    from_api = Order.objects.get(pk=response.json()["id"])
    assert from_api.source == Order.Source.API
    assert from_api.intl_freight_estimate_cny is not None
    assert _what_was_charged(from_api) == _what_was_charged(from_cart)


def test_lines_of_one_sku_add_up_and_a_bad_line_is_named(owner, company, rates, goods):
    (shirt, quantities), _mug = goods
    red = next(iter(quantities))

    def place(*lines):
        return services.order_place_from_lines(
            company=company,
            actor=owner,
            membership=membership(owner, company),
            lines=[services.RequestedLine(*line) for line in lines],
            checkout_key=uuid.uuid4().hex,
        )

    # 25 + 25 of one SKU reach the ¥8 tier, as 50 in the cart would.
    order = place((shirt.pk, red.pk, 25), (shirt.pk, red.pk, 25))
    assert [(line.quantity, line.unit_price_cny) for line in order.lines.all()] == [
        (50, Decimal("8.00"))
    ]
    with pytest.raises(exceptions.LineInvalid) as no_sku:
        place((shirt.pk, red.pk, 20), (shirt.pk, None, 20))
    assert (no_sku.value.index, no_sku.value.field) == (1, "sku_id")
    with pytest.raises(exceptions.LineQuantity) as too_few:
        place((shirt.pk, red.pk, 5))
    assert (too_few.value.index, too_few.value.field, too_few.value.code) == (
        0,
        "quantity",
        "quantity",
    )
    with pytest.raises(exceptions.LineNotFound) as unknown:
        place((shirt.pk, red.pk, 20), (0, None, 1))
    assert (unknown.value.index, unknown.value.status) == (1, 404)
    assert Order.objects.count() == 1

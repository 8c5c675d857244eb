from decimal import Decimal

import pytest
from django.urls import reverse

from orders import selectors, services
from orders.models import CartLine
from tests.orders.factories import product_with_skus

pytestmark = pytest.mark.django_db


def _priced(user, company):
    return selectors.priced_cart(cart=selectors.cart_for(user=user, company=company))


def test_tier_follows_the_total_quantity_across_skus(buyer, company):
    product, (red, blue) = product_with_skus()

    services.cart_add(user=buyer, company=company, product=product, quantities={red: 30})
    assert _priced(buyer, company).lines[0].unit_price_cny == Decimal("10.00")

    services.cart_add(user=buyer, company=company, product=product, quantities={blue: 20})
    priced = _priced(buyer, company)
    # 30 + 20 = 50 reaches the ¥8 tier for both SKUs.
    assert [line.unit_price_cny for line in priced.lines] == [Decimal("8.00")] * 2
    assert priced.goods_cny == Decimal("400.00")


def test_below_moq_is_refused_with_a_clear_message(buyer, company):
    product, (red, _blue) = product_with_skus(moq=10)

    change = services.cart_add(user=buyer, company=company, product=product, quantities={red: 4})

    assert not change.ok
    assert "Minimum order is 10" in change.errors[0]
    assert not CartLine.objects.exists()


def test_order_multiple_is_enforced_with_a_suggestion(buyer, company):
    product, (red, _blue) = product_with_skus(moq=12, multiple=6, tiers=[(12, Decimal("5.00"))])

    change = services.cart_add(user=buyer, company=company, product=product, quantities={red: 15})

    assert not change.ok
    assert "multiples of 6" in change.errors[0]
    assert "12 or 18" in change.errors[0]


def test_editing_below_moq_is_shown_and_blocks_checkout(buyer, company):
    product, (red, _blue) = product_with_skus(moq=10)
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})
    line = CartLine.objects.get()

    services.cart_line_update(user=buyer, company=company, line_id=line.pk, quantity=5)

    priced = _priced(buyer, company)
    assert not priced.ok
    assert "Minimum order is 10" in priced.groups[0].errors[0]


def test_quantity_zero_removes_the_line(buyer, company):
    product, (red, _blue) = product_with_skus()
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})
    line = CartLine.objects.get()

    services.cart_line_update(user=buyer, company=company, line_id=line.pk, quantity=0)

    assert not CartLine.objects.exists()


def test_price_change_after_adding_is_flagged_not_applied_silently(buyer, company):
    product, (red, _blue) = product_with_skus()
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})
    product.tiers.filter(min_quantity=10).update(unit_price_cny=Decimal("11.50"))

    priced = _priced(buyer, company)

    [changed] = priced.changed_lines
    assert changed.seen_unit_price_cny == Decimal("10.00")
    assert changed.unit_price_cny == Decimal("11.50")


def test_add_from_product_page_with_htmx_returns_fragment_and_event(buyer_client, company, rates):
    product, (red, blue) = product_with_skus()

    response = buyer_client.post(
        reverse("orders:cart-add"),
        {"product": product.pk, f"qty-{red.pk}": "6", f"qty-{blue.pk}": "6"},
        headers={"HX-Request": "true", "HX-Target": "price-quote"},
    )

    assert response.status_code == 200
    assert 'id="price-quote"' in response.text
    assert "Added to your cart" in response.text
    assert '"cart-changed": {"count": 2}' in response["HX-Trigger"]


def test_add_without_javascript_redirects_and_refusal_returns_to_product(buyer_client, company):
    product, (red, _blue) = product_with_skus()

    refused = buyer_client.post(
        reverse("orders:cart-add"), {"product": product.pk, f"qty-{red.pk}": 1}
    )
    ok = buyer_client.post(reverse("orders:cart-add"), {"product": product.pk, f"qty-{red.pk}": 10})

    assert refused.url == reverse("catalog:product", args=[product.pk])
    assert ok.url == reverse("orders:cart")


def test_htmx_refusal_is_shown_in_the_fragment_without_event(buyer_client, company):
    product, (red, _blue) = product_with_skus()

    response = buyer_client.post(
        reverse("orders:cart-add"),
        {"product": product.pk, f"qty-{red.pk}": "3"},
        headers={"HX-Request": "true"},
    )

    assert "Minimum order is 10" in response.text
    assert "HX-Trigger" not in response


def test_cart_survives_logging_out(client, buyer, company):
    product, (red, _blue) = product_with_skus()
    client.force_login(buyer)
    client.post(reverse("orders:cart-add"), {"product": product.pk, f"qty-{red.pk}": 10})
    client.logout()

    client.force_login(buyer)
    response = client.get(reverse("orders:cart"))

    assert red.code in response.text


def test_inline_quantity_change_with_htmx_rerenders_cart(buyer_client, buyer, company, rates):
    product, (red, _blue) = product_with_skus()
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})
    line = CartLine.objects.get()

    response = buyer_client.post(
        reverse("orders:cart-line-update", args=[line.pk]),
        {"quantity": 60},
        headers={"HX-Request": "true", "HX-Target": "cart"},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="cart">')
    assert "¥8.00" in response.text
    assert "cart-changed" in response["HX-Trigger"]


def test_another_users_cart_line_is_404(client, buyer, company, member_of):
    product, (red, _blue) = product_with_skus()
    services.cart_add(user=buyer, company=company, product=product, quantities={red: 10})
    line = CartLine.objects.get()
    client.force_login(member_of(company))

    response = client.post(reverse("orders:cart-line-remove", args=[line.pk]))

    assert response.status_code == 404
    assert CartLine.objects.exists()


def test_viewer_cannot_add_to_cart(client, company, member_of):
    from procurement.accounts.models import Role

    product, (red, _blue) = product_with_skus()
    client.force_login(member_of(company, Role.VIEWER))

    response = client.post(reverse("orders:cart-add"), {"product": product.pk, f"qty-{red.pk}": 10})

    assert response.status_code == 403

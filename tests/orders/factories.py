"""Builders for orders tests: catalog goods with known tiers, a funded wallet, carts and orders
made through the real services."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from orders import selectors, services
from orders.models import Order, SourcingRequest
from procurement.accounts.models import Membership
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory, SkuFactory, SupplierFactory
from tests.payments.factories import fund_wallet, seed_rates

__all__ = [
    "ProductFactory",
    "SkuFactory",
    "SupplierFactory",
    "fund_wallet",
    "seed_rates",
]


def product_with_skus(*, supplier=None, moq=10, multiple=1, tiers=None, skus=2, weight="0.500"):
    """A product with tiers ¥10 from the MOQ and ¥8 from 50 (unless given), and `skus` SKUs."""
    kwargs = {"supplier": supplier} if supplier else {}
    product = ProductFactory(
        moq=moq,
        order_multiple=multiple,
        base_price=Decimal("10.00"),
        tiers=tiers or [(moq, Decimal("10.00")), (50, Decimal("8.00"))],
        weight_kg=Decimal(weight),
        length_cm=Decimal("10"),
        width_cm=Decimal("10"),
        height_cm=Decimal("10"),
        **kwargs,
    )
    variants = [SkuFactory(product=product) for _ in range(skus)]
    return product, variants


def staff_in(group_name: str, **kwargs):
    from allauth.mfa.totp.internal.auth import TOTP

    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


def membership(user, company) -> Membership:
    return Membership.objects.get(user=user, company=company)


def place_order(user, company, *items) -> Order:
    """Add (product, {sku: qty}) items to the user's cart and place the order as checkout does."""
    for product, quantities in items:
        change = services.cart_add(
            user=user, company=company, product=product, quantities=quantities
        )
        assert change.ok, change.errors
    cart = selectors.cart_for(user=user, company=company)
    priced = selectors.priced_cart(cart=cart)
    return services.order_place_from_cart(
        user=user,
        company=company,
        membership=membership(user, company),
        checkout_key=uuid.uuid4().hex,
        signature=priced.signature(None, None),
    )


def paid_order(user, company, *items, balance="1000.00") -> Order:
    fund_wallet(company, Decimal(balance))
    order = place_order(user, company, *items)
    return services.order_pay(order=order, actor=user, membership=membership(user, company))


class SourcingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourcingRequest

    company = None
    created_by = None
    title = factory.Sequence(lambda n: f"Silicone phone case {n}")
    description = "Soft, matte, 12 colours"
    target_quantity = 500


def expire(quote):
    """Move a quote's validity (FX or sourcing) into the past."""
    field = "expires_at" if hasattr(quote, "expires_at") else "valid_until"
    type(quote).objects.filter(pk=quote.pk).update(**{field: timezone.now() - timedelta(seconds=1)})
    quote.refresh_from_db()
    return quote

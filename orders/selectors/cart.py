"""The cart as the merchant sees it: its lines, each priced at today's tier and rate,
grouped by supplier."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from catalog.models import Product, Supplier
from catalog.pricing import PriceQuote, price_quote
from orders.models import (
    Cart,
    CartLine,
)
from procurement.accounts.models import Company, User


def cart_for(*, user: User, company: Company) -> Cart | None:
    return Cart.objects.filter(user=user, company=company).first()


def cart_count(*, user: User, company: Company) -> int:
    """Number of lines in the user's cart for this company: one query.

    Every merchant page's navbar shows it, so the SQL is written out: the ORM spends about
    half a millisecond compiling the join each time, longer than the query runs."""
    quote = connection.ops.quote_name
    line, cart = CartLine._meta, Cart._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {quote(line.db_table)} l"  # noqa: S608  # nosec B608
            f" JOIN {quote(cart.db_table)} c"
            f" ON c.{quote(cart.pk.column)} = l.{quote(line.get_field('cart').column)}"
            f" WHERE c.{quote(cart.get_field('user').column)} = %s"
            f" AND c.{quote(cart.get_field('company').column)} = %s",
            [user.pk, company.pk],
        )
        return cursor.fetchone()[0]


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("product__supplier", "sku")
        .prefetch_related("product__tiers")
        .order_by("product_id", "sku__position", "sku_id", "pk")
    )


@dataclass
class PricedLine:
    line: CartLine
    unit_price_cny: Decimal | None
    line_total_cny: Decimal
    seen_unit_price_cny: Decimal | None

    @property
    def price_changed(self) -> bool:
        return (
            self.seen_unit_price_cny is not None
            and self.unit_price_cny is not None
            and self.unit_price_cny != self.seen_unit_price_cny
        )


@dataclass
class ProductGroup:
    """All cart lines of one product: the tier comes from their total."""

    product: Product
    lines: list[PricedLine]
    quote: PriceQuote | None
    errors: list[str]

    @property
    def total_quantity(self) -> int:
        return sum(p.line.quantity for p in self.lines)

    @property
    def total_cny(self) -> Decimal:
        return sum((p.line_total_cny for p in self.lines), Decimal("0.00"))


@dataclass
class PricedCart:
    groups: list[ProductGroup]

    @property
    def lines(self) -> list[PricedLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def goods_cny(self) -> Decimal:
        return sum((group.total_cny for group in self.groups), Decimal("0.00"))

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def ok(self) -> bool:
        return bool(self.groups) and not any(group.errors for group in self.groups)

    @property
    def changed_lines(self) -> list[PricedLine]:
        return [line for line in self.lines if line.price_changed]

    @property
    def suppliers(self) -> list[Supplier]:
        seen: dict[int, Supplier] = {}
        for group in self.groups:
            seen.setdefault(group.product.supplier_id, group.product.supplier)
        return [seen[pk] for pk in sorted(seen)]

    def signature(self, *extra: object) -> str:
        """A digest of exactly what was priced and shown: any change in lines, quantities or
        prices (or in `extra`, such as the freight) gives another signature."""
        parts = [
            f"{p.line.pk}:{p.line.product_id}:{p.line.sku_id}:{p.line.quantity}:{p.unit_price_cny}"
            for p in self.lines
        ]
        parts += [str(item) for item in extra]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _visible(product: Product) -> bool:
    from catalog.models import Supplier

    return product.is_active and product.supplier.status == Supplier.Status.APPROVED


def price_cart_lines(lines: list[CartLine]) -> PricedCart:
    """Price cart lines product by product (catalog.pricing), with MOQ and multiple checks."""
    from django.utils.translation import gettext as _

    by_product: dict[int, list[CartLine]] = {}
    for line in lines:
        by_product.setdefault(line.product_id, []).append(line)
    groups = []
    for product_lines in by_product.values():
        product = product_lines[0].product
        errors: list[str] = []
        quote = None
        prices: dict[int, tuple[Decimal | None, Decimal]] = {}
        if not _visible(product):
            errors.append(_("This product is no longer available; remove it from your cart."))
        else:
            quantities = {line.sku: line.quantity for line in product_lines}
            quote = price_quote(product=product, quantities=quantities)
            errors.extend(quote.errors)
            by_sku = {(p.sku.pk if p.sku else None): p for p in quote.lines}
            for line in product_lines:
                priced = by_sku.get(line.sku_id)
                if priced is not None:
                    prices[line.pk] = (priced.unit_price_cny, priced.line_total_cny)
        priced_lines = [
            PricedLine(
                line=line,
                unit_price_cny=prices.get(line.pk, (None, Decimal("0.00")))[0],
                line_total_cny=prices.get(line.pk, (None, Decimal("0.00")))[1],
                seen_unit_price_cny=line.seen_unit_price_cny,
            )
            for line in product_lines
        ]
        groups.append(ProductGroup(product=product, lines=priced_lines, quote=quote, errors=errors))
    return PricedCart(groups=groups)


def priced_cart(*, cart: Cart | None) -> PricedCart:
    if cart is None:
        return PricedCart(groups=[])
    return price_cart_lines(list(cart_lines(cart=cart)))

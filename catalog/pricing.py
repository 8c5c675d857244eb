"""Quantity-break pricing, as on 1688: the tier is chosen by the total quantity of a product
across all its SKUs; a SKU's own price, when set, wins over the tier.

All amounts are CNY. Nothing here rounds to another currency: conversion happens at display
(payments.selectors) or at checkout (a locked quote).

    quote = price_quote(product=p, quantities={sku_red_m: 30, sku_blue_l: 30})
    quote.ok, quote.errors, quote.tier, quote.lines, quote.total_cny
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.models import PriceTier, Product, Sku
from catalog.units import quantity_with_unit

CNY_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PricedLine:
    sku: Sku | None
    quantity: int
    unit_price_cny: Decimal
    line_total_cny: Decimal
    overridden: bool  # the SKU's own price was used instead of the tier


@dataclass(frozen=True)
class PriceQuote:
    product: Product
    total_quantity: int
    tier: PriceTier | None
    lines: tuple[PricedLine, ...]
    total_cny: Decimal
    errors: tuple[str, ...]
    next_tier: PriceTier | None = None  # the next cheaper tier, to nudge "buy 20 more"

    @property
    def ok(self) -> bool:
        return not self.errors


def _tiers(product: Product, tiers: Iterable[PriceTier] | None) -> list[PriceTier]:
    if tiers is None:
        # Uses a prefetch when the caller made one (`prefetch_related("tiers")`).
        tiers = product.tiers.all()
    return sorted(tiers, key=lambda t: t.min_quantity)


def tier_for(
    *, product: Product, quantity: int, tiers: Iterable[PriceTier] | None = None
) -> PriceTier | None:
    """The tier for a total quantity: the one with the largest start not above it.

    Below the first tier's start (a product whose MOQ is under it) the first tier applies.
    """
    ordered = _tiers(product, tiers)
    if not ordered:
        return None
    chosen = ordered[0]
    for tier in ordered:
        if tier.min_quantity <= quantity:
            chosen = tier
        else:
            break
    return chosen


def unit_price(
    *,
    product: Product,
    total_quantity: int,
    sku: Sku | None = None,
    tiers: Iterable[PriceTier] | None = None,
) -> Decimal | None:
    """CNY unit price of one SKU (or the product) when `total_quantity` of the product is bought."""
    if sku is not None and sku.price_cny is not None:
        return sku.price_cny
    tier = tier_for(product=product, quantity=total_quantity, tiers=tiers)
    return tier.unit_price_cny if tier else None


# The most one order line may hold: beyond it a request is a typo or an attack, and it must
# stay far inside the database's 32-bit quantity columns.
MAX_ORDER_QUANTITY = 10_000_000


def quantity_errors(*, product: Product, quantity: int) -> list[str]:
    """Messages a merchant understands when `quantity` (the product total) cannot be ordered."""
    unit = product.unit
    errors = []
    if quantity <= 0:
        errors.append(_("Choose how many you want."))
        return errors
    if quantity > MAX_ORDER_QUANTITY:
        errors.append(
            _("At most %(max)s can be ordered at once; for more, send a sourcing request.")
            % {"max": f"{MAX_ORDER_QUANTITY:,}"}
        )
        return errors
    if quantity < product.moq:
        errors.append(
            _("Minimum order is %(moq)s; you have %(qty)s.")
            % {"moq": quantity_with_unit(product.moq, unit), "qty": quantity}
        )
    multiple = product.order_multiple
    if multiple > 1 and quantity % multiple:
        lower = quantity - quantity % multiple
        upper = lower + multiple
        suggestion = (
            _("try %(lower)s or %(upper)s") % {"lower": lower, "upper": upper}
            if lower >= product.moq
            else _("try %(upper)s") % {"upper": upper}
        )
        errors.append(
            _("Order in multiples of %(multiple)s; %(qty)s is not one (%(suggestion)s).")
            % {
                "multiple": quantity_with_unit(multiple, unit),
                "qty": quantity,
                "suggestion": suggestion,
            }
        )
    return errors


def price_quote(
    *,
    product: Product,
    quantities: Mapping[Sku | None, int],
    tiers: Sequence[PriceTier] | None = None,
) -> PriceQuote:
    """Price a basket of one product: `{sku: quantity}` (or `{None: quantity}` for a product
    sold without SKUs). The tier comes from the total; validation covers MOQ and multiples."""
    total = sum(q for q in quantities.values() if q > 0)
    ordered = _tiers(product, tiers)
    tier = tier_for(product=product, quantity=total, tiers=ordered)
    errors = quantity_errors(product=product, quantity=total)
    if any(q < 0 for q in quantities.values()):
        errors.insert(0, _("Quantities cannot be negative."))
    lines = []
    for sku, qty in quantities.items():
        if qty <= 0:
            continue
        if sku is not None and sku.product_id != product.pk:
            errors.append(_("%(sku)s is not a variant of this product.") % {"sku": sku.code})
            continue
        price = unit_price(product=product, total_quantity=total, sku=sku, tiers=ordered)
        if price is None:
            errors.append(_("This product has no price yet; request a quote instead."))
            break
        lines.append(
            PricedLine(
                sku=sku,
                quantity=qty,
                unit_price_cny=price,
                line_total_cny=(price * qty).quantize(CNY_CENT),
                overridden=sku is not None and sku.price_cny is not None,
            )
        )
    next_tier = next((t for t in ordered if t.min_quantity > total), None)
    return PriceQuote(
        product=product,
        total_quantity=total,
        tier=tier,
        lines=tuple(lines),
        total_cny=sum((line.line_total_cny for line in lines), Decimal("0.00")),
        errors=tuple(errors),
        next_tier=next_tier,
    )

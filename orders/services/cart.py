"""The cart: adding (one product at a time, or a pasted/CSV quick order), changing and removing
lines, and recording the unit prices the merchant was shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Product, Sku
from catalog.pricing import price_quote, quantity_errors
from orders import conf, exceptions, selectors
from orders.models import (
    Cart,
    CartLine,
)
from procurement.accounts.models import Company, User


@dataclass
class CartChange:
    """What happened to the cart: lines added or changed, and refusals with their reasons."""

    added: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cart(*, user: User, company: Company, lock: bool = False) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user, company=company)
    if lock:
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
    return cart


def _seen_prices(cart: Cart, product_ids: Iterable[int]) -> None:
    """Record the unit prices now shown for these products: after a change the merchant made,
    the tier they see is the tier they agreed to."""
    lines = [
        line for line in selectors.cart_lines(cart=cart) if line.product_id in set(product_ids)
    ]
    priced = selectors.price_cart_lines(lines)
    changed = []
    for priced_line in priced.lines:
        line = priced_line.line
        if line.seen_unit_price_cny != priced_line.unit_price_cny:
            line.seen_unit_price_cny = priced_line.unit_price_cny
            changed.append(line)
    if changed:
        CartLine.objects.bulk_update(changed, ["seen_unit_price_cny"])


def _locked_cart(*, user: User, company: Company) -> Cart | None:
    """The user's cart locked until the end of the transaction, or None when there is none yet
    (nothing is written)."""
    return Cart.objects.select_for_update().filter(user=user, company=company).first()


@transaction.atomic
def cart_add(
    *,
    user: User,
    company: Company,
    product: Product,
    quantities: Mapping[Sku | None, int],
) -> CartChange:
    """Add quantities of one product's SKUs (or `{None: n}` for a product without SKUs).

    The product's total in the cart after adding must meet its MOQ and multiple; otherwise
    nothing is added and the reasons come back in `errors`.

    Only this product's lines are read and priced: the tier follows the product's own total, so
    the rest of the cart cannot change. The prices are set as the lines are written (the tier
    they see is the tier they agreed to). Pass the product with its `skus` and `tiers`
    prefetched and neither is read again.
    """
    change = CartChange()
    if not catalog_selectors.products_visible().filter(pk=product.pk).exists():
        change.errors.append(_("This product is not available."))
        return change
    wanted = {sku: qty for sku, qty in quantities.items() if qty}
    if any(qty < 0 for qty in wanted.values()):
        change.errors.append(_("Quantities cannot be negative."))
        return change
    if not wanted:
        change.errors.append(_("Choose how many you want."))
        return change
    has_skus = bool(product.skus.all())
    for sku in wanted:
        if sku is None and has_skus:
            change.errors.append(_("Choose a variant of this product."))
            return change
        if sku is not None and sku.product_id != product.pk:
            change.errors.append(_("%(sku)s is not a variant of this product.") % {"sku": sku.code})
            return change
    # The cart is locked before its lines are counted, so another tab adding meanwhile waits;
    # a refused add writes nothing (not even an empty cart).
    cart = _locked_cart(user=user, company=company)
    existing = {line.sku_id: line for line in cart.lines.filter(product=product)} if cart else {}
    total = sum(line.quantity for line in existing.values()) + sum(wanted.values())
    errors = quantity_errors(product=product, quantity=total)
    if errors:
        change.errors.extend(errors)
        return change
    if cart is None:
        cart = _cart(user=user, company=company, lock=True)
        # Another tab may have made the cart and added to it since it was found missing.
        existing = {line.sku_id: line for line in cart.lines.filter(product=product)}
        total = sum(line.quantity for line in existing.values()) + sum(wanted.values())
        errors = quantity_errors(product=product, quantity=total)
        if errors:
            change.errors.extend(errors)
            return change
    after = {sku_id: line.quantity for sku_id, line in existing.items()}
    variants = {sku.pk: sku for sku in product.skus.all()}
    skus = {sku_id: variants.get(sku_id) if sku_id else None for sku_id in existing}
    for sku, qty in wanted.items():
        key = sku.pk if sku else None
        after[key] = after.get(key, 0) + qty
        skus[key] = sku
    quote = price_quote(product=product, quantities={skus[key]: qty for key, qty in after.items()})
    prices = {(p.sku.pk if p.sku else None): p.unit_price_cny for p in quote.lines}
    new_lines, changed = [], []
    for key, quantity in after.items():
        line = existing.get(key)
        if line is None:
            new_lines.append(
                CartLine(
                    cart=cart,
                    product=product,
                    sku=skus[key],
                    quantity=quantity,
                    seen_unit_price_cny=prices.get(key),
                )
            )
        elif line.quantity != quantity or line.seen_unit_price_cny != prices.get(key):
            line.updated_at = timezone.now()
            line.quantity = quantity
            line.seen_unit_price_cny = prices.get(key)
            changed.append(line)
    if new_lines:
        CartLine.objects.bulk_create(new_lines)
    if changed:
        CartLine.objects.bulk_update(changed, ["quantity", "seen_unit_price_cny", "updated_at"])
    change.added = len(wanted)
    return change


@transaction.atomic
def cart_line_update(*, user: User, company: Company, line_id: int, quantity: int) -> CartLine:
    """Set a line's quantity (0 removes it). The cart may hold a product below its MOQ while the
    merchant edits; the cart page shows why and checkout refuses it. Raises CartLine.DoesNotExist
    for a line that is not in this user's cart."""
    line = CartLine.objects.select_for_update().get(
        pk=line_id, cart__user=user, cart__company=company
    )
    if quantity < 0:
        raise exceptions.CartError(_("Quantities cannot be negative."))
    if quantity == 0:
        line.delete()
        return line
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    _seen_prices(line.cart, [line.product_id])
    return line


@transaction.atomic
def cart_line_remove(*, user: User, company: Company, line_id: int) -> None:
    line = CartLine.objects.get(pk=line_id, cart__user=user, cart__company=company)
    product_id, cart = line.product_id, line.cart
    line.delete()
    _seen_prices(cart, [product_id])


@dataclass
class QuickOrderResult:
    added: int = 0
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, text, reason)

    @property
    def bad_rows(self) -> list[tuple[int, str, str]]:
        return self.rows


def _parse_quick_rows(text: str) -> list[tuple[int, str, list[str]]]:
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((number, ",".join(cells), [cell.strip() for cell in cells]))
    return rows


@transaction.atomic
def cart_quick_order(*, user: User, company: Company, text: str) -> QuickOrderResult:
    """Add rows of "SKU code,quantity" (pasted or from a CSV file). A header row is skipped.

    Each bad row is reported with its reason and the good rows are added. Rows of one product
    are judged together: their total, with what the cart already holds, must meet the
    product's MOQ and multiple, or every row of that product is reported with the reason.
    """
    result = QuickOrderResult()
    rows = _parse_quick_rows(text)
    if len(rows) > conf.quick_order_max_rows():
        result.rows.append(
            (
                0,
                "",
                _("At most %(n)s rows at a time; split the list.")
                % {"n": conf.quick_order_max_rows()},
            )
        )
        return result
    parsed: list[tuple[int, str, str, int]] = []
    for number, raw, cells in rows:
        if len(cells) < 2:
            result.rows.append((number, raw, _("Give a SKU code and a quantity.")))
            continue
        code, qty_text = cells[0], cells[1]
        if number == 1 and not qty_text.lstrip("+").isdigit():
            continue  # a header row
        try:
            qty = int(qty_text)
        except ValueError:
            result.rows.append((number, raw, _("“%(q)s” is not a whole number.") % {"q": qty_text}))
            continue
        if qty <= 0:
            result.rows.append((number, raw, _("The quantity must be at least 1.")))
            continue
        parsed.append((number, raw, code, qty))

    codes = {code for _n, _r, code, _q in parsed}
    skus = {
        sku.code.lower(): sku
        for sku in Sku.objects.filter(
            code__in=codes | {c.upper() for c in codes} | {c.lower() for c in codes},
            product__in=catalog_selectors.products_visible(),
        ).select_related("product")
    }
    by_product: dict[int, list[tuple[int, str, Sku, int]]] = {}
    for number, raw, code, qty in parsed:
        sku = skus.get(code.lower())
        if sku is None:
            result.rows.append(
                (number, raw, _("No product with SKU code “%(code)s”.") % {"code": code})
            )
            continue
        by_product.setdefault(sku.product_id, []).append((number, raw, sku, qty))

    cart = _cart(user=user, company=company, lock=True)
    in_cart = {
        row["product_id"]: row["total"]
        for row in cart.lines.values("product_id").annotate(total=Sum("quantity"))
    }
    for product_id, product_rows in by_product.items():
        product = product_rows[0][2].product
        total = in_cart.get(product_id, 0) + sum(qty for *_rest, qty in product_rows)
        errors = quantity_errors(product=product, quantity=total)
        if errors:
            reason = _("%(product)s: %(errors)s") % {
                "product": product.title_en,
                "errors": " ".join(errors),
            }
            result.rows.extend((number, raw, reason) for number, raw, _sku, _qty in product_rows)
            continue
        existing = {line.sku_id: line for line in cart.lines.filter(product_id=product_id)}
        for _number, _raw, sku, qty in product_rows:
            line = existing.get(sku.pk)
            if line is None:
                existing[sku.pk] = CartLine.objects.create(
                    cart=cart, product=product, sku=sku, quantity=qty
                )
            else:
                line.quantity += qty
                line.save(update_fields=["quantity", "updated_at"])
            result.added += 1
    _seen_prices(cart, by_product)
    result.rows.sort(key=lambda row: row[0])
    return result


@transaction.atomic
def cart_accept_prices(*, user: User, company: Company) -> None:
    """The merchant has seen the new prices: record them as seen."""
    cart = selectors.cart_for(user=user, company=company)
    if cart is not None:
        _seen_prices(cart, cart.lines.values_list("product_id", flat=True))

"""Linking store variants to portal SKUs (picked by the merchant, or matched by SKU code) and
letting the orders that waited for them go on."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Sku
from orders.stores.models import StoreOrder, VariantLink
from orders.stores.services.intake import store_order_place
from procurement.core.exceptions import DomainError


@transaction.atomic
def variant_link_map(*, link: VariantLink, sku_code: str) -> VariantLink:
    """Map a store variant to the portal SKU with this code (or a product without SKUs by its
    id as "product:<id>"); empty unmaps it. Orders waiting for it are placed again."""
    link = VariantLink.objects.select_for_update().get(pk=link.pk)
    code = (sku_code or "").strip()
    product = sku = None
    if code.startswith("product:"):
        product = (
            catalog_selectors.products_visible()
            .filter(pk=code.removeprefix("product:") if code[8:].isdigit() else 0)
            .first()
        )
        if product is None or product.skus.exists():
            raise DomainError(_("Choose one of the product's SKUs."), field="sku_code")
    elif code:
        sku = (
            Sku.objects.filter(code=code, product__in=catalog_selectors.products_visible())
            .select_related("product")
            .first()
        )
        if sku is None:
            raise DomainError(_("No portal SKU has this code."), field="sku_code")
        product = sku.product
    link.product, link.sku = product, sku
    link.save(update_fields=["product", "sku", "updated_at"])
    if product is not None:
        store_orders_replace_waiting(connection_id=link.connection_id)
    return link


def store_orders_replace_waiting(*, connection_id: int) -> int:
    """Place again the orders of a connection that waited for a mapping (in the caller's
    transaction): those whose lines are now all mapped go on."""
    waiting = list(
        StoreOrder.objects.select_for_update()
        .filter(connection_id=connection_id, status=StoreOrder.Status.WAITING_MAPPING)
        .select_related("connection", "connection__company", "connection__created_by")
        .order_by("pk")
    )
    for store_order in waiting:
        store_order_place(store_order=store_order)
    return len(waiting)

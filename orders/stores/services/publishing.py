"""Publishing a portal product to the merchant's store as a draft: its variants, images and a
retail price of the landed cost times the merchant's markup; each store variant comes back
linked to its portal SKU, so its orders need no mapping."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import nh3
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Product, Sku
from catalog.pricing import price_quote
from orders import selectors as order_selectors
from orders.stores import adapters
from orders.stores.models import StoreConnection, VariantLink
from orders.stores.services.connections import calling
from payments.money import quantize
from procurement.core.exceptions import DomainError


@dataclass(frozen=True)
class PublishedPrice:
    sku: Sku | None
    label: str
    landed_unit: Decimal  # wallet currency, one unit bought at the product's MOQ
    retail: Decimal  # landed x (1 + markup)


def publish_prices(*, connection: StoreConnection, product: Product) -> list[PublishedPrice]:
    """The store price of each variant: its landed cost per unit (goods at the MOQ's tier and
    a share of the domestic freight, through `payments.pricing` as checkout prices it) times
    the connection's markup, rounded to the wallet currency."""
    company = connection.company
    skus = list(product.skus.order_by("pk")) or [None]
    quantity = max(product.moq, 1)
    factor = 1 + connection.markup_percent / 100
    prices = []
    for sku in skus:
        quote = price_quote(product=product, quantities={sku: quantity}, tiers=product.tiers.all())
        if not quote.lines:
            raise DomainError(" ".join(quote.errors) or _("This product cannot be priced."))
        goods = quote.lines[0].unit_price_cny * quantity
        cost = order_selectors.landed_cost(company=company, goods_cny=goods, supplier_count=1)
        if cost.total_local is None:
            raise DomainError(_("No exchange rate today: the price cannot be computed."))
        unit = cost.total_local / quantity
        prices.append(
            PublishedPrice(
                sku=sku,
                label=sku.label if sku else product.title_en,
                landed_unit=quantize(unit, company.wallet_currency),
                retail=quantize(unit * factor, company.wallet_currency),
            )
        )
    return prices


def product_publish(*, connection: StoreConnection, product: Product) -> list[VariantLink]:
    """Create the product in the store as a draft and link its variants to the portal SKUs."""
    if connection.status != StoreConnection.Status.ACTIVE:
        raise DomainError(_("The store connection is not active."))
    prices = publish_prices(connection=connection, product=product)
    base = settings.SITE_URL.rstrip("/")
    images = [
        image.image.url if image.image.url.startswith("http") else base + image.image.url
        for image in product.images.order_by("position", "pk")
        if image.image
    ]
    variants = [
        {
            "label": price.label,
            "sku": price.sku.code if price.sku else f"P{product.pk}",
            "price": str(price.retail),
        }
        for price in prices
    ]
    with adapters.client_for(connection) as client, calling(connection):
        published = client.product_publish(
            title=product.title_en,
            description=nh3.clean(product.description_en or ""),
            images=images,
            variants=variants,
        )
    by_code = {price.sku.code if price.sku else f"P{product.pk}": price.sku for price in prices}
    links = []
    with transaction.atomic():
        for variant in published.variants:
            sku = by_code.get(variant.sku)
            link, _created = VariantLink.objects.update_or_create(
                connection=connection,
                external_variant_id=variant.external_variant_id,
                defaults={
                    "external_product_id": published.external_product_id,
                    "title": (product.title_en + (f" — {sku.label}" if sku else ""))[:300],
                    "store_sku": variant.sku,
                    "product": product,
                    "sku": sku,
                    "published": True,
                },
            )
            links.append(link)
    return links

"""Reads of store connections, always scoped to a company, relations fetched."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from catalog.models import Product
from logistics.models import ShippingChannel
from orders.stores.models import ChannelRule, StoreConnection, StoreOrder, VariantLink

ORDERS_PAGE_SIZE = 50


def connections_for_company(*, company) -> QuerySet[StoreConnection]:
    return (
        StoreConnection.objects.filter(company=company)
        .exclude(status=StoreConnection.Status.REMOVED)
        .select_related("shipping_channel")
        .annotate(
            unmapped_count=Count(
                "variant_links", filter=Q(variant_links__product__isnull=True), distinct=True
            ),
            waiting_count=Count(
                "orders",
                filter=Q(
                    orders__status__in=[
                        StoreOrder.Status.WAITING_MAPPING,
                        StoreOrder.Status.HELD,
                        StoreOrder.Status.AWAITING_APPROVAL,
                        StoreOrder.Status.CANCEL_REQUESTED,
                    ]
                ),
                distinct=True,
            ),
        )
        .order_by("name", "pk")
    )


def connection_for_company(*, company, pk: int) -> StoreConnection:
    """Raises StoreConnection.DoesNotExist for another company's or a removed connection."""
    return (
        StoreConnection.objects.filter(company=company)
        .exclude(status=StoreConnection.Status.REMOVED)
        .select_related("shipping_channel", "created_by")
        .get(pk=pk)
    )


def store_orders(
    *, company, connection: StoreConnection | None = None, status: str = ""
) -> QuerySet[StoreOrder]:
    qs = StoreOrder.objects.filter(company=company).select_related("connection", "order", "parcel")
    if connection is not None:
        qs = qs.filter(connection=connection)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def store_order_for_company(*, company, pk: int) -> StoreOrder:
    return (
        StoreOrder.objects.filter(company=company)
        .select_related("connection", "order", "parcel", "parcel__channel")
        .prefetch_related("events")
        .get(pk=pk)
    )


def channel_rules(*, connection: StoreConnection) -> QuerySet[ChannelRule]:
    return (
        ChannelRule.objects.filter(connection=connection)
        .select_related("channel")
        .order_by("country", "pk")
    )


def products_refused_by(*, connection: StoreConnection, channel: ShippingChannel) -> list[str]:
    """The mapped products of the store whose hazards `channel` does not carry (its one rule,
    `ShippingChannel.refused_hazards`): their orders to a country with this channel wait."""
    products = Product.objects.filter(
        pk__in=VariantLink.objects.filter(connection=connection, product__isnull=False).values(
            "product_id"
        )
    ).order_by("title_en", "pk")
    return [
        product.title_en for product in products if channel.refused_hazards(product.hazards or ())
    ]


def variant_links(
    *, connection: StoreConnection, unmapped_only: bool = False
) -> QuerySet[VariantLink]:
    qs = VariantLink.objects.filter(connection=connection).select_related("product", "sku")
    if unmapped_only:
        qs = qs.filter(product__isnull=True)
    # The variants still to map first.
    return qs.order_by(F("product_id").asc(nulls_first=True), "title", "pk")


def variant_link_for_company(*, company, pk: int) -> VariantLink:
    return VariantLink.objects.select_related("connection").get(pk=pk, connection__company=company)

"""Reads for logistics, scoped to a company where a merchant sees them, relations fetched."""

from django.db.models import Count, Prefetch, QuerySet

from logistics.models import (
    Address,
    FreightCharge,
    InboundParcel,
    Parcel,
    ParcelEvent,
    ShippingChannel,
    StockItem,
    StockPhoto,
    TrackingEvent,
    Warehouse,
)
from procurement.accounts.models import Company


def warehouses_active() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def channels_active() -> QuerySet[ShippingChannel]:
    return ShippingChannel.objects.filter(is_active=True).prefetch_related("zones")


def channels_for_company(*, company: Company) -> QuerySet[ShippingChannel]:
    """Channels the company may choose: sourcing-only companies ship domestically."""
    channels = channels_active()
    if not company.uses_forwarding:
        channels = channels.filter(service=ShippingChannel.Service.DOMESTIC)
    return channels


def addresses_of(*, company: Company) -> QuerySet[Address]:
    return Address.objects.filter(company=company, is_archived=False).order_by("name", "pk")


def destinations_for_company(*, company: Company) -> QuerySet[Address]:
    addresses = addresses_of(company=company)
    if not company.uses_forwarding:
        addresses = addresses.filter(kind__in=Address.CHINA_KINDS)
    return addresses


def stock_of(*, company: Company, status: str | None = None) -> QuerySet[StockItem]:
    items = (
        StockItem.objects.filter(company=company)
        .select_related("warehouse", "parcel")
        .prefetch_related(Prefetch("photos", queryset=StockPhoto.objects.order_by("pk")))
        .order_by("-arrived_at", "-pk")
    )
    if status:
        items = items.filter(status=status)
    return items


def stock_available(*, company: Company) -> QuerySet[StockItem]:
    return stock_of(company=company, status=StockItem.Status.IN_STOCK)


def inbound_of(*, company: Company) -> QuerySet[InboundParcel]:
    return (
        InboundParcel.objects.filter(company=company)
        .select_related("warehouse")
        .order_by("-created_at", "-pk")
    )


def parcels_of(*, company: Company) -> QuerySet[Parcel]:
    return (
        Parcel.objects.filter(company=company)
        .select_related("destination", "channel", "warehouse")
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-pk")
    )


def parcel_detail(*, company: Company, pk: int) -> Parcel:
    return (
        Parcel.objects.filter(company=company)
        .select_related("destination", "channel", "warehouse", "created_by")
        .prefetch_related(
            Prefetch("items", queryset=StockItem.objects.order_by("pk")),
            Prefetch("events", queryset=ParcelEvent.objects.select_related("actor").order_by("pk")),
            Prefetch(
                "tracking_events",
                queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"),
            ),
            Prefetch("charges", queryset=FreightCharge.objects.order_by("pk")),
            "declaration",
            "boxes",
            "documents",
        )
        .get(pk=pk)
    )

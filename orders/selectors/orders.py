"""Orders and their purchase orders as a company sees them, what staff scan at receiving, and
what a placed purchase order says about its supplier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders import conf
from orders.models import (
    InspectionPhoto,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    SourcingQuoteLine,
)
from procurement.accounts.models import Company

ORDERS_PAGE_SIZE = 25


def orders_of(*, company: Company) -> QuerySet[Order]:
    return Order.objects.filter(company=company)


def _count_of(model, field: str) -> Coalesce:
    """How many `model` rows point at the outer row by `field`, as a scalar subquery."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted), 0)


def order_list(
    *,
    company: Company,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
) -> QuerySet[Order]:
    """The company's orders, newest first, with what the list shows fetched in the same query."""
    # The counts as correlated subqueries, not joins grouped by order: the page's own count
    # (the paginator's) then drops them and reads the orders alone, and a page reads only its
    # 25 orders' lines and purchase orders instead of grouping every order of the company.
    qs = (
        orders_of(company=company)
        .select_related("created_by")
        .annotate(
            line_count=_count_of(OrderLine, "order"),
            po_count=_count_of(PurchaseOrder, "order"),
        )
        .order_by("-created_at", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(
            created_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    search = search.strip()
    if search:
        digits = search.upper().removeprefix("ORD-").lstrip("0")
        condition = Q(number__iexact=search)
        if digits.isdigit():
            condition |= Q(pk=int(digits))
        qs = qs.filter(condition)
    return qs


def order_detail(*, company: Company, pk: int) -> Order:
    """Raises Order.DoesNotExist for another company's order."""
    return (
        orders_of(company=company)
        .select_related("created_by", "approved_by", "quote", "destination", "shipping_channel")
        .prefetch_related(
            # Products and SKUs: the lines show their titles in the merchant's language.
            Prefetch(
                "lines", queryset=OrderLine.objects.select_related("supplier", "product", "sku")
            ),
            Prefetch(
                "purchase_orders",
                queryset=PurchaseOrder.objects.select_related("supplier")
                .prefetch_related(
                    Prefetch(
                        "lines",
                        queryset=PurchaseOrderLine.objects.select_related("product", "sku")
                        .prefetch_related("photos")
                        .order_by("pk"),
                    )
                )
                .order_by("pk"),
            ),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
        )
        .get(pk=pk)
    )


def order_purchase_order_events(*, order: Order) -> QuerySet[PurchaseOrderEvent]:
    return (
        PurchaseOrderEvent.objects.filter(purchase_order__order=order)
        .select_related("actor", "purchase_order")
        .order_by("created_at", "pk")
    )


def purchase_order_of(*, company: Company, pk: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.filter(order__company=company)
        .select_related("order", "supplier")
        .get(pk=pk)
    )


def purchase_order_line_of(*, company: Company, pk: int) -> PurchaseOrderLine:
    """Raises PurchaseOrderLine.DoesNotExist for another company's line."""
    return PurchaseOrderLine.objects.select_related("purchase_order__order").get(
        pk=pk, purchase_order__order__company=company
    )


def inspection_photo_of(*, company: Company, pk: int) -> InspectionPhoto:
    """Raises InspectionPhoto.DoesNotExist for a photo of another company's goods."""
    return InspectionPhoto.objects.get(pk=pk, line__purchase_order__order__company=company)


def approvals_pending(*, company: Company) -> QuerySet[Order]:
    return (
        orders_of(company=company)
        .filter(status=Order.Status.PENDING_APPROVAL)
        .select_related("created_by")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("supplier")))
        .order_by("created_at", "pk")
    )


# --- Receiving -----------------------------------------------------------------------------------


def purchase_order_find(*, query: str) -> QuerySet[PurchaseOrder]:
    """Purchase orders matching what warehouse staff scan or type: the supplier's domestic
    tracking number, our PO number ("PO-12" or "12") or the 1688 order number."""
    query = query.strip()
    if not query:
        return PurchaseOrder.objects.none()
    condition = Q(tracking_number__iexact=query) | Q(supplier_order_no__iexact=query)
    digits = query.upper().removeprefix("PO-").removeprefix("PO")
    if digits.isdigit():
        condition |= Q(pk=int(digits))
    return (
        PurchaseOrder.objects.filter(condition)
        .select_related("order__company", "supplier", "warehouse")
        .order_by("status_changed_at", "pk")
    )


# --- Supplier performance ------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseOrderPerformance:
    """What one placed purchase order says about its supplier."""

    dispatched_on_time: bool | None  # None until the supplier ships
    cancelled: bool
    lines_inspected: int
    lines_failed: int
    units_inspected: int
    units_defective: int


def promised_dispatch_days(po: PurchaseOrder) -> int:
    """The longest lead time quoted for this supplier's lines when the order came from a
    sourcing quote; otherwise ORDERS_SUPPLIER_DISPATCH_DAYS."""
    quote_id = po.order.sourcing_quote_id
    if quote_id is not None:
        days = [
            line.lead_time_days
            for line in SourcingQuoteLine.objects.filter(
                quote_id=quote_id, supplier_id=po.supplier_id
            )
        ]
        if days:
            return max(days)
    return conf.supplier_dispatch_days()


def purchase_order_performance(po: PurchaseOrder) -> PurchaseOrderPerformance:
    """On time: shipped (first shipment) within the promised days of placement. Defects count
    every inspection, replacements included: a line that failed and was replaced stays a
    failure. Units are the line's ordered quantity per inspection."""
    on_time = None
    if po.placed_at is not None and po.shipped_at is not None:
        on_time = po.shipped_at - po.placed_at <= timedelta(days=promised_dispatch_days(po))
    lines = list(po.lines.all())
    return PurchaseOrderPerformance(
        dispatched_on_time=on_time,
        cancelled=po.status == PurchaseOrder.Status.CANCELLED,
        lines_inspected=sum(line.times_inspected for line in lines),
        lines_failed=sum(line.times_failed for line in lines),
        units_inspected=sum(line.quantity * line.times_inspected for line in lines),
        units_defective=sum(line.quantity * line.times_failed for line in lines),
    )

"""A store order following its portal order: paid, purchased, packed in its own parcel to the
end customer, shipped, and the tracking number pushed back to the store. Also the merchant's
decision on an order cancelled in the store after its goods were bought, and retries."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import services as logistics_services
from logistics.exceptions import StockUnavailable
from logistics.models import Parcel, StockItem
from orders import services as order_services
from orders.models import Order
from orders.stores import adapters, conf
from orders.stores.exceptions import StoreError
from orders.stores.models import StoreConnection, StoreOrder
from orders.stores.services.connections import calling
from orders.stores.services.intake import (
    committed_sources,
    release_stock,
    stock_wants,
    store_order_place,
)
from orders.stores.services.status import move
from orders.stores.services.tracking import tracking_pushes_send
from procurement.accounts.models import User
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

SO = StoreOrder.Status
OS = Order.Status
BOUGHT = frozenset({OS.PARTLY_PURCHASED, OS.PURCHASING, OS.IN_WAREHOUSE, OS.COMPLETED})
ON_ITS_WAY = frozenset(
    {
        Parcel.Status.SHIPPED,
        Parcel.Status.IN_TRANSIT,
        Parcel.Status.DELIVERED,
        Parcel.Status.CUSTOMS_HOLD,
        Parcel.Status.LOST,
        Parcel.Status.RETURNED,
    }
)


def _locked(store_order: StoreOrder) -> StoreOrder:
    return (
        StoreOrder.objects.select_for_update(of=("self",))
        .select_related(
            "connection", "connection__company", "connection__created_by", "order", "parcel"
        )
        .get(pk=store_order.pk)
    )


@transaction.atomic
def store_order_sync(*, store_order: StoreOrder) -> StoreOrder:
    """Bring the store order level with its portal order and parcel; when its goods are all in
    the warehouse, put them in one parcel to the end customer (with the units reserved from
    stock) and ask for packing."""
    store_order = _locked(store_order)
    order = store_order.order
    if store_order.status in StoreOrder.UNPLACED:
        return store_order_place(store_order=store_order)
    if order is None:
        if store_order.parcel is None:
            return store_order
        _follow_stock_parcel(store_order)
    else:
        if order.status in (OS.CANCELLED, OS.REFUNDED) and store_order.can_become(SO.CANCELLED):
            release_stock(
                store_order,
                reason=_("The portal order was cancelled."),
                statuses={Parcel.Status.DRAFT},
            )
            return move(store_order, SO.CANCELLED, _("The portal order was cancelled."))
        if store_order.status == SO.AWAITING_APPROVAL and order.paid_at is not None:
            move(store_order, SO.PAID, _("Paid"))
        if store_order.status == SO.PAID and order.status in BOUGHT:
            move(store_order, SO.PURCHASED, _("The goods were bought from the suppliers."))
        if store_order.status == SO.PURCHASED and order.status in (OS.IN_WAREHOUSE, OS.COMPLETED):
            _parcel(store_order)
    if store_order.status == SO.PACKED and store_order.parcel.status in ON_ITS_WAY:
        move(store_order, SO.SHIPPED, store_order.parcel.tracking_number)
        outbox_enqueue(task="orders.stores.tasks.store_order_push", args=[store_order.pk])
    return store_order


def _follow_stock_parcel(store_order: StoreOrder) -> None:
    """An order sent whole from stock follows its parcel: packing requested by the merchant,
    or the parcel cancelled (the order is held, and a retry takes the goods from stock
    again)."""
    parcel = store_order.parcel
    if parcel.status == Parcel.Status.CANCELLED and store_order.can_become(SO.HELD):
        move(
            store_order,
            SO.HELD,
            _("Parcel %(ref)s was cancelled: retry to take the goods from your stock again.")
            % {"ref": parcel.reference},
            changes={"parcel": None, "allocation": []},
        )
    elif store_order.status == SO.AWAITING_APPROVAL and parcel.status != Parcel.Status.DRAFT:
        move(
            store_order,
            SO.PACKED,
            _("Parcel %(ref)s to the customer, from your stock.") % {"ref": parcel.reference},
        )


def _parcel(store_order: StoreOrder) -> None:
    """One parcel to the end customer with every stocked item of the order's purchase orders
    and the units reserved from stock, packing requested (its freight charged from the wallet
    as for any parcel)."""
    order = store_order.order
    references = [po.reference for po in order.purchase_orders.all()]
    items = list(
        StockItem.objects.filter(
            company=store_order.company,
            source_reference__in=references,
            status=StockItem.Status.IN_STOCK,
        ).values_list("pk", flat=True)
    )
    if not items:
        move(store_order, SO.PURCHASED, _("Waiting for the goods to be stocked."))
        return
    connection = store_order.connection
    actor = connection.created_by
    draft = store_order.parcel
    try:
        with transaction.atomic():
            if draft is not None and draft.status == Parcel.Status.CANCELLED:
                items += _stock_again(store_order)
                draft = None
            if draft is not None:
                parcel = logistics_services.parcel_items_add(
                    parcel=draft, actor=actor, item_ids=items
                )
            else:
                parcel = logistics_services.parcel_create(
                    company=store_order.company,
                    actor=actor,
                    destination=order.destination,
                    channel=order.shipping_channel,
                    item_ids=items,
                    customer_reference=store_order.number,
                    brand_name=connection.brand_name,
                )
            logistics_services.parcel_request_packing(parcel=parcel, actor=actor)
    except DomainError as error:
        move(
            store_order,
            SO.PURCHASED,
            _("The parcel could not be prepared: %(why)s") % {"why": error.message},
        )
        return
    move(
        store_order,
        SO.PACKED,
        _("Parcel %(ref)s to the customer") % {"ref": parcel.reference},
        changes={"parcel": parcel},
    )


def _stock_again(store_order: StoreOrder) -> list[int]:
    """The parcel holding the units from stock was cancelled: take them from stock again."""
    wants = stock_wants(store_order)
    taken = logistics_services.stock_allocate(
        company=store_order.company,
        wants=wants,
        exclude_sources=committed_sources(store_order.company),
    )
    short = [part for part in taken if part.quantity < part.want.quantity]
    if short:
        raise StockUnavailable(
            _(
                "The parcel with the goods from your stock was cancelled and %(n)s units are "
                "no longer in stock."
            )
            % {"n": sum(part.want.quantity - part.quantity for part in short)}
        )
    return [item.pk for part in taken for item in part.items]


def store_order_push(*, store_order: StoreOrder) -> StoreOrder:
    """Push the shipped parcel's tracking to the store: a Shopify fulfillment on the order's
    open fulfillment orders (the customer notified as the merchant chose), or WooCommerce's
    status completed with a customer note. Throttling and outages are retried by the client
    with backoff; a failure is kept on the row, visible, for the next sync or a retry."""
    store_order = StoreOrder.objects.select_related("connection", "parcel", "parcel__channel").get(
        pk=store_order.pk
    )
    if store_order.status != SO.SHIPPED:
        return store_order
    connection = store_order.connection
    if connection.status != StoreConnection.Status.ACTIVE:
        return _push_failed(store_order, _("The store connection is not active."))
    parcel = store_order.parcel
    try:
        with adapters.client_for(connection) as client, calling(connection):
            fulfillment_id = client.fulfil(
                external_id=store_order.external_id,
                tracking_number=parcel.tracking_number,
                carrier=parcel.channel.carrier,
                url=conf.tracking_url(parcel.tracking_number),
                notify=connection.notify_customer,
            )
    except StoreError as error:
        return _push_failed(store_order, str(error.message))
    with transaction.atomic():
        store_order = _locked(store_order)
        if store_order.status != SO.SHIPPED:
            return store_order
        store_order = move(
            store_order,
            SO.TRACKING_PUSHED,
            parcel.tracking_number,
            changes={
                "tracking_pushed_at": timezone.now(),
                "external_fulfillment_id": fulfillment_id[:120],
                "push_error": "",
                "push_attempts": store_order.push_attempts + 1,
            },
        )
    # Carrier events that came before the fulfillment was in the store follow it now.
    tracking_pushes_send(store_order=store_order)
    return store_order


def _push_failed(store_order: StoreOrder, message: str) -> StoreOrder:
    StoreOrder.objects.filter(pk=store_order.pk).update(
        push_error=message[:500], push_attempts=store_order.push_attempts + 1
    )
    store_order.refresh_from_db(fields=["push_error", "push_attempts"])
    return store_order


def store_order_parcel_shipped(*, parcel_id: int) -> int:
    """Logistics shipped a parcel: the store orders it carries move and push their tracking."""
    moved = 0
    for store_order in StoreOrder.objects.filter(parcel_id=parcel_id, status=SO.PACKED):
        store_order_sync(store_order=store_order)
        moved += 1
    return moved


@transaction.atomic
def store_order_cancel_decide(*, store_order: StoreOrder, actor: User, cancel: bool) -> StoreOrder:
    """The merchant's answer to an order cancelled in the store after purchase: keep
    fulfilling it, or cancel the portal order (refused, with the reason, when purchase orders
    were placed; the account manager then cancels what can still be cancelled)."""
    store_order = _locked(store_order)
    if store_order.status != SO.CANCEL_REQUESTED:
        raise DomainError(_("This store order does not wait for your decision."))
    if not cancel:
        return move(
            store_order, SO.PURCHASED, _("Kept after the store's cancellation"), actor=actor
        )
    order_services.order_cancel(
        order=store_order.order, actor=actor, reason=_("Cancelled in the store")
    )
    release_stock(store_order, reason=_("Cancelled in the store"), statuses={Parcel.Status.DRAFT})
    return move(store_order, SO.CANCELLED, _("Cancelled in the store"), actor=actor)


def store_order_retry(*, store_order: StoreOrder) -> StoreOrder:
    """The merchant's retry button: place again, follow the portal order, push again."""
    store_order = store_order_sync(store_order=store_order)
    if store_order.status == SO.SHIPPED:
        store_order = store_order_push(store_order=store_order)
    return store_order

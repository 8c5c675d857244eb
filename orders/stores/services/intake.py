"""Store orders in: by signed webhook and by polling, one portal order per store order.

Whatever arrives twice (a webhook redelivered, a webhook and a poll, two workers at once) finds
the same `StoreOrder` row: it is unique per (connection, store order id) and taken with
`select_for_update().get_or_create()` inside one transaction, so the second comer waits for the
first and then sees its row. The portal order's checkout key is derived from that row
("store:12"), a second guard at the database.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Sku
from logistics import services as logistics_services
from logistics.models import Address
from orders import services as order_services
from orders.models import Order
from orders.stores import adapters, conf, crypto, signatures
from orders.stores.adapters import shopify, woocommerce
from orders.stores.adapters.base import ExternalOrder
from orders.stores.exceptions import StoreError, WebhookRefused
from orders.stores.models import Platform, StoreConnection, StoreOrder, VariantLink, WebhookReceipt
from orders.stores.services.connections import calling
from orders.stores.services.status import move
from procurement.core.exceptions import DomainError

logger = logging.getLogger(__name__)

SO = StoreOrder.Status
CS = StoreConnection.Status
OS = Order.Status
ORDER_TOPICS = {
    Platform.SHOPIFY: frozenset(
        {"orders/create", "orders/updated", "orders/cancelled", "orders/paid"}
    ),
    Platform.WOOCOMMERCE: frozenset({"order.created", "order.updated", "order.restored"}),
}
# Portal order statuses before any goods were bought: a store cancellation undoes it all.
BEFORE_PURCHASE = frozenset({OS.PENDING_APPROVAL, OS.AWAITING_PAYMENT, OS.PAID})


def parse_order(platform: str, payload: dict) -> ExternalOrder:
    if platform == Platform.SHOPIFY:
        return shopify.order_from_webhook(payload)
    return woocommerce.order_from_payload(payload)


def store_webhook_receive(*, token: str, body: bytes, headers) -> str:
    """Take in one signed webhook. Returns what was done ("accepted", "duplicate", "ignored",
    "ping"); raises WebhookRefused (nothing written) for a missing or wrong signature and a
    DomainError with status 404 for an unknown or removed connection."""
    connection = StoreConnection.objects.filter(webhook_token=token).first()
    if connection is None or connection.status == CS.REMOVED:
        raise DomainError(_("Not found."), code="not_found", status=404)
    if connection.platform == Platform.WOOCOMMERCE and body.startswith(b"webhook_id="):
        # WooCommerce pings a new webhook's URL once, unsigned, with the webhook's id as a form.
        return "ping"
    delivery = signatures.verify(
        platform=connection.platform,
        secret=crypto.decrypt(connection.webhook_secret_encrypted),
        body=body,
        headers=headers,
    )
    try:
        payload = json.loads(body)
        data = (
            parse_order(connection.platform, payload)
            if delivery.topic in ORDER_TOPICS[connection.platform]
            else None
        )
    except (ValueError, KeyError, TypeError) as error:
        raise WebhookRefused(_("The webhook body is not an order."), status=400) from error
    with transaction.atomic():
        _receipt, created = WebhookReceipt.objects.get_or_create(
            connection=connection,
            delivery_id=delivery.delivery_id,
            defaults={"topic": delivery.topic},
        )
        if not created:
            return "duplicate"
        if data is None or connection.status != CS.ACTIVE:
            # A paused store's orders are read by the first poll after it is resumed.
            return "ignored"
        store_order_take(connection=connection, data=data)
    return "accepted"


@transaction.atomic
def store_order_take(*, connection: StoreConnection, data: ExternalOrder) -> StoreOrder | None:
    """The store order `data` once in the portal: created and placed the first time, a store
    cancellation applied later, anything else a repeat that changes nothing."""
    existing = (
        StoreOrder.objects.select_for_update()
        .filter(connection=connection, external_id=data.external_id)
        .first()
    )
    if existing is None:
        if data.cancelled or not data.payable:
            return None  # never seen and not to be fulfilled; a later update brings it back
        store_order, created = StoreOrder.objects.select_for_update().get_or_create(
            connection=connection,
            external_id=data.external_id,
            defaults=_fields(connection, data),
        )
        if created:
            store_order.events.create(
                from_status="", to_status=store_order.status, reason=_("Received from the store")
            )
            store_order_place(store_order=store_order)
            return store_order
        existing = store_order
    if data.cancelled and existing.cancelled_in_store_at is None:
        store_order_cancelled_in_store(store_order=existing)
    elif existing.status in StoreOrder.UNPLACED and not data.cancelled:
        # The merchant may have fixed the order in the store (address, lines): read it again.
        changed = _fields(connection, data)
        if any(getattr(existing, key) != value for key, value in changed.items()):
            for key, value in changed.items():
                setattr(existing, key, value)
            existing.save(update_fields=[*changed, "updated_at"])
            store_order_place(store_order=existing)
    return existing


def _fields(connection: StoreConnection, data: ExternalOrder) -> dict:
    return {
        "company_id": connection.company_id,
        "number": data.number[:40],
        "customer_name": data.customer_name[:200],
        "email": data.email[:254],
        "shipping_address": data.address,
        "lines": data.lines_json(),
        "raw": data.raw,
    }


def _links(store_order: StoreOrder) -> dict[str, VariantLink]:
    """The variant link of every line, created for variants seen the first time and matched to
    a portal SKU with the same code when there is exactly one visible."""
    connection = store_order.connection
    links = {
        link.external_variant_id: link
        for link in VariantLink.objects.filter(
            connection=connection,
            external_variant_id__in=[line["variant_id"] for line in store_order.lines],
        ).select_related("product", "sku")
    }
    for line in store_order.lines:
        if line["variant_id"] in links:
            continue
        link, _created = VariantLink.objects.get_or_create(
            connection=connection,
            external_variant_id=line["variant_id"],
            defaults={
                "external_product_id": line["product_id"],
                "title": line["title"][:300] or line["variant_id"],
                "store_sku": line["sku"][:120],
            },
        )
        links[line["variant_id"]] = link
    for link in links.values():
        if not link.is_mapped and link.store_sku:
            sku = (
                Sku.objects.filter(
                    code=link.store_sku, product__in=catalog_selectors.products_visible()
                )
                .select_related("product")
                .first()
            )
            if sku is not None:
                link.product, link.sku = sku.product, sku
                link.save(update_fields=["product", "sku", "updated_at"])
    return links


def store_order_place(*, store_order: StoreOrder) -> StoreOrder:
    """Make the portal order of a store order the caller holds locked, or say why it waits:
    unmapped variants, an address we cannot ship to, a line the catalog refuses. Then pay it
    from the wallet when the connection allows and the total is under its limit."""
    connection = store_order.connection
    links = _links(store_order)
    unmapped = [line for line in store_order.lines if not links[line["variant_id"]].is_mapped]
    if unmapped:
        names = ", ".join(line["title"] or line["variant_id"] for line in unmapped)
        return move(
            store_order,
            SO.WAITING_MAPPING,
            _("Map these store variants to portal SKUs: %(names)s.") % {"names": names},
        )
    channel = connection.shipping_channel
    if channel is None:
        return move(store_order, SO.HELD, _("Choose a shipping channel for this store."))
    try:
        with transaction.atomic():
            address = logistics_services.address_create(
                company=connection.company,
                kind=Address.Kind.END_CUSTOMER,
                **store_order.shipping_address,
            )
    except ValidationError as error:
        return move(
            store_order,
            SO.HELD,
            _("We cannot ship to this address: %(why)s") % {"why": " ".join(error.messages)},
        )
    quantities: dict[tuple[int, int | None], int] = {}
    for line in store_order.lines:
        link = links[line["variant_id"]]
        key = (link.product_id, link.sku_id)
        quantities[key] = quantities.get(key, 0) + line["quantity"]
    try:
        with transaction.atomic():
            order = order_services.order_place_from_lines(
                company=connection.company,
                actor=connection.created_by,
                membership=None,
                lines=[
                    order_services.RequestedLine(
                        product_id=product_id, sku_id=sku_id, quantity=quantity
                    )
                    for (product_id, sku_id), quantity in quantities.items()
                ],
                checkout_key=f"store:{store_order.pk}",
                destination=address,
                channel=channel,
            )
    except DomainError as error:
        return move(store_order, SO.HELD, str(error.message))
    StoreOrder.objects.filter(pk=store_order.pk).update(order=order)
    store_order.order = order
    return _pay_or_wait(store_order, order)


def _pay_or_wait(store_order: StoreOrder, order: Order) -> StoreOrder:
    connection = store_order.connection
    if order.status != OS.AWAITING_PAYMENT:
        return move(store_order, SO.AWAITING_APPROVAL, _("Waiting for an approver."))
    if not connection.auto_pay or connection.auto_pay_limit is None:
        return move(store_order, SO.AWAITING_APPROVAL, _("Waiting for you to approve and pay it."))
    total = order.quote.total_charge if order.quote else order.estimated_total
    if total is None or total > connection.auto_pay_limit:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _("%(total)s %(currency)s is above your auto-pay limit of %(limit)s %(currency)s.")
            % {
                "total": total if total is not None else "?",
                "currency": order.currency,
                "limit": connection.auto_pay_limit,
            },
        )
    try:
        with transaction.atomic():
            order_services.order_pay(order=order, actor=connection.created_by, membership=None)
    except DomainError as error:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _("Not paid automatically: %(why)s") % {"why": error.message},
        )
    return move(store_order, SO.PAID, _("Paid automatically from the wallet."))


def store_order_cancelled_in_store(*, store_order: StoreOrder) -> StoreOrder:
    """The customer's order was cancelled in the store. Before anything was bought the portal
    order is cancelled (and refunded when paid); after, the merchant decides."""
    StoreOrder.objects.filter(pk=store_order.pk).update(cancelled_in_store_at=timezone.now())
    store_order.cancelled_in_store_at = timezone.now()
    order = store_order.order
    reason = _("Cancelled in the store")
    if order is None or store_order.status in StoreOrder.UNPLACED:
        return move(store_order, SO.CANCELLED, reason)
    order = Order.objects.get(pk=order.pk)
    if order.status in BEFORE_PURCHASE:
        order_services.order_cancel(
            order=order, actor=store_order.connection.created_by, reason=reason
        )
        return move(store_order, SO.CANCELLED, reason)
    if order.status in (OS.CANCELLED, OS.REFUNDED):
        return move(store_order, SO.CANCELLED, reason)
    if store_order.can_become(SO.CANCEL_REQUESTED):
        return move(
            store_order,
            SO.CANCEL_REQUESTED,
            _(
                "Cancelled in the store after the goods were bought: keep fulfilling it, or "
                "cancel what can still be cancelled."
            ),
        )
    return move(
        store_order,
        store_order.status,
        _("Cancelled in the store, but the parcel is already on its way."),
    )


def store_orders_poll(*, connection: StoreConnection) -> int:
    """Read the orders the store changed since the last poll (minus a margin) and take each
    in as a webhook would: the fallback that makes a lost webhook lose nothing. Returns how
    many store orders were read (those already in change nothing)."""
    if connection.status != CS.ACTIVE:
        return 0
    started = timezone.now()
    since = (connection.last_polled_at or connection.created_at) - timedelta(
        minutes=conf.poll_lookback_minutes()
    )
    with adapters.client_for(connection) as client, calling(connection):
        found = client.orders_updated_since(since)
    taken = 0
    for data in found:
        try:
            if store_order_take(connection=connection, data=data) is not None:
                taken += 1
        except StoreError:
            logger.exception("store order %s of %s not taken", data.external_id, connection.pk)
    StoreConnection.objects.filter(pk=connection.pk).update(last_polled_at=started)
    return taken

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
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from catalog import selectors as catalog_selectors
from catalog.models import Sku
from logistics import rates
from logistics import services as logistics_services
from logistics.models import Address, Parcel, ShippingChannel
from orders import services as order_services
from orders.models import Order, PurchaseOrder
from orders.stores import adapters, conf, crypto, signatures
from orders.stores.adapters import shopify, woocommerce
from orders.stores.adapters.base import ExternalOrder
from orders.stores.exceptions import StoreError, WebhookRefused
from orders.stores.models import (
    ChannelRule,
    Platform,
    StoreConnection,
    StoreOrder,
    VariantLink,
    WebhookReceipt,
)
from orders.stores.services.connections import calling
from orders.stores.services.status import move
from payments import selectors as payments_selectors
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
# Store orders whose purchased goods wait in stock for the rest of the order.
WAITING_FOR_GOODS = frozenset({SO.AWAITING_APPROVAL, SO.PAID, SO.PURCHASED, SO.CANCEL_REQUESTED})
# A parcel the store order's cancellation still undoes (its freight refunded).
PARCEL_CANCELLABLE = frozenset({Parcel.Status.DRAFT, Parcel.Status.PACKING_REQUESTED})


def parse_order(platform: str, payload: dict) -> ExternalOrder:
    if platform == Platform.SHOPIFY:
        return shopify.order_from_webhook(payload)
    return woocommerce.order_from_payload(payload)


def store_webhook_receive(*, token: str, body: bytes, headers) -> str:
    """Take in one signed webhook. Returns what was done ("accepted", "duplicate", "ignored",
    "ping"); raises WebhookRefused (nothing written) for a missing or wrong signature and a
    DomainError with status 404 for an unknown or removed connection."""
    connection = (
        StoreConnection.objects.filter(webhook_token=token)
        # What placing an order reads of its connection: the company, the acting owner,
        # the default channel.
        .select_related("company", "created_by", "shipping_channel")
        .first()
    )
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
        # Not there a moment ago: create it, unless a concurrent delivery just did (the unique
        # constraint on the store's order id), then take that one, locked.
        try:
            with transaction.atomic():
                store_order = StoreOrder.objects.create(
                    connection=connection, external_id=data.external_id, **_fields(connection, data)
                )
            created = True
        except IntegrityError:
            store_order = (
                StoreOrder.objects.select_for_update()
                .filter(connection=connection, external_id=data.external_id)
                .first()
            )
            if store_order is None:
                raise  # another constraint than the store's order id
            created = False
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


def _channel(
    connection: StoreConnection, country: str, hazards: set[str]
) -> tuple[ShippingChannel | None, str]:
    """The channel of the connection's rule for `country` (its default channel without one),
    or None and why it cannot take the parcel: the logistics rule of what a channel carries
    where (`logistics.rates.channel_refusal`), asked with the goods' hazards."""
    rule = (
        ChannelRule.objects.filter(connection=connection, country=country)
        .select_related("channel")
        .first()
    )
    channel = rule.channel if rule else connection.shipping_channel
    name = countries.name(country) or country
    if channel is None:
        return None, _(
            "Choose a shipping channel for this store, or a channel rule for %(country)s."
        ) % {"country": name}
    why = rates.channel_refusal(channel=channel, destination_country=country, restricted=hazards)
    if why:
        return None, _(
            "%(channel)s, the channel for %(country)s, cannot take this parcel: %(why)s "
            "Change the channel rule, then retry."
        ) % {"channel": channel, "country": name, "why": why}
    return channel, ""


def committed_sources(company) -> list[str]:
    """Goods bought for store orders still waiting for the rest of their goods: they are that
    order's, not stock another store order may take."""
    return [
        f"po:{pk}"
        for pk in PurchaseOrder.objects.filter(
            order__store_order__company=company,
            order__store_order__status__in=WAITING_FOR_GOODS,
        ).values_list("pk", flat=True)
    ]


def _want(product_id: int, sku_id: int | None, quantity: int) -> logistics_services.StockWant:
    return logistics_services.StockWant(
        product_reference=f"product:{product_id}",
        sku_reference=f"sku:{sku_id}" if sku_id else "",
        quantity=quantity,
    )


def stock_wants(store_order: StoreOrder) -> list[logistics_services.StockWant]:
    """What the store order's allocation takes from stock."""
    return [
        _want(row["product_id"], row["sku_id"], row["from_stock"])
        for row in store_order.allocation
        if row["from_stock"]
    ]


def _fulfil(
    store_order: StoreOrder,
    wanted: dict[tuple[int, int | None], int],
    names: dict[tuple[int, int | None], str],
    *,
    address: Address,
    channel: ShippingChannel,
) -> tuple[Order | None, Parcel | None, list[dict]]:
    """Take what the merchant holds from stock into a draft parcel to the customer and buy the
    rest through the normal flow; all or nothing (the caller's savepoint)."""
    connection = store_order.connection
    actor = connection.created_by
    taken = logistics_services.stock_allocate(
        company=connection.company,
        wants=[_want(product_id, sku_id, n) for (product_id, sku_id), n in wanted.items()],
        exclude_sources=committed_sources(connection.company),
    )
    from_stock = {
        (product_id, sku_id): part.quantity
        for ((product_id, sku_id), _n), part in zip(wanted.items(), taken, strict=True)
    }
    items = [item.pk for part in taken for item in part.items]
    parcel = None
    if items:
        parcel = logistics_services.parcel_create(
            company=connection.company,
            actor=actor,
            destination=address,
            channel=channel,
            item_ids=items,
            customer_reference=store_order.number,
            brand_name=connection.brand_name,
        )
    remainder = {key: n - from_stock[key] for key, n in wanted.items() if n > from_stock[key]}
    order = None
    if remainder:
        order = order_services.order_place_from_lines(
            company=connection.company,
            actor=actor,
            membership=None,
            lines=[
                order_services.RequestedLine(product_id=product_id, sku_id=sku_id, quantity=n)
                for (product_id, sku_id), n in remainder.items()
            ],
            checkout_key=f"store:{store_order.pk}",
            destination=address,
            channel=channel,
        )
    allocation = [
        {
            "product_id": product_id,
            "sku_id": sku_id,
            "description": names[(product_id, sku_id)],
            "quantity": n,
            "from_stock": from_stock[(product_id, sku_id)],
            "purchased": n - from_stock[(product_id, sku_id)],
        }
        for (product_id, sku_id), n in wanted.items()
    ]
    return order, parcel, allocation


# Placing and paying one store order prices its goods several times (the landed cost, the FX
# quote, the freight): one read of the rates and the fee schedule serves them all.
@payments_selectors.payments_read_once()
def store_order_place(*, store_order: StoreOrder) -> StoreOrder:
    """Make the portal order of a store order the caller holds locked, or say why it waits:
    unmapped variants, an address we cannot ship to, no channel for the destination (or one
    that cannot take these goods), a line the catalog refuses.

    What the merchant already holds in our warehouse ships from stock (reserved in a draft
    parcel to the customer); only the rest is bought, through the normal order flow, and paid
    from the wallet when the connection allows and the total is under its limit. An order
    the stock covers whole buys nothing: its parcel is sent to packing (its freight, the one
    thing due, charged then) under the same auto-pay rule."""
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
    # Services are atomic with their own savepoint: one that raises has written nothing, and
    # the caller's transaction goes on.
    try:
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
    wanted: dict[tuple[int, int | None], int] = {}
    names: dict[tuple[int, int | None], str] = {}
    hazards: set[str] = set()
    for line in store_order.lines:
        link = links[line["variant_id"]]
        key = (link.product_id, link.sku_id)
        wanted[key] = wanted.get(key, 0) + line["quantity"]
        names[key] = link.product.title_en + (f" — {link.sku.label}" if link.sku else "")
        hazards.update(link.product.hazards or ())
    wanted = {key: n for key, n in wanted.items() if n > 0}
    if not wanted:
        return move(store_order, SO.HELD, _("The order has nothing for us to ship."))
    channel, why = _channel(connection, address.country.code, hazards)
    if channel is None:
        return move(store_order, SO.HELD, why)
    try:
        with transaction.atomic():
            order, parcel, allocation = _fulfil(
                store_order, wanted, names, address=address, channel=channel
            )
    except DomainError as error:
        return move(store_order, SO.HELD, str(error.message))
    StoreOrder.objects.filter(pk=store_order.pk).update(
        order=order, parcel=parcel, allocation=allocation
    )
    store_order.order, store_order.parcel, store_order.allocation = order, parcel, allocation
    if order is None:
        return _send_from_stock(store_order)
    return _pay_or_wait(store_order, order)


def _send_from_stock(store_order: StoreOrder) -> StoreOrder:
    """Everything ships from stock: the goods were paid when they were bought, so the wallet
    pays only the parcel's freight (and nothing else), when packing is requested."""
    connection = store_order.connection
    parcel = store_order.parcel
    if not connection.auto_pay or connection.auto_pay_limit is None:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _(
                "Everything ships from your stock: request packing of parcel %(ref)s (its "
                "freight is charged then)."
            )
            % {"ref": parcel.reference},
        )
    charge = logistics_services.parcel_packing_charge(parcel=parcel)
    if charge.total is None or charge.total > connection.auto_pay_limit:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _(
                "Everything ships from your stock. The freight of %(total)s %(currency)s is "
                "above your auto-pay limit of %(limit)s %(currency)s: request packing of "
                "parcel %(ref)s yourself."
            )
            % {
                "total": charge.total if charge.total is not None else "?",
                "currency": charge.currency,
                "limit": connection.auto_pay_limit,
                "ref": parcel.reference,
            },
        )
    try:
        logistics_services.parcel_request_packing(parcel=parcel, actor=connection.created_by)
    except DomainError as error:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _("Not sent automatically: %(why)s") % {"why": error.message},
        )
    return move(
        store_order,
        SO.PACKED,
        _("Parcel %(ref)s to the customer, from your stock.") % {"ref": parcel.reference},
    )


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
        order_services.order_pay(order=order, actor=connection.created_by, membership=None)
    except DomainError as error:
        return move(
            store_order,
            SO.AWAITING_APPROVAL,
            _("Not paid automatically: %(why)s") % {"why": error.message},
        )
    return move(store_order, SO.PAID, _("Paid automatically from the wallet."))


def release_stock(store_order: StoreOrder, *, reason: str, statuses=PARCEL_CANCELLABLE) -> None:
    """Cancel the store order's parcel while it is still in `statuses`: the units it took from
    stock go back to stock, a freight charged is refunded."""
    parcel = store_order.parcel
    if parcel is not None and parcel.status in statuses:
        logistics_services.parcel_cancel(
            parcel=parcel, actor=store_order.connection.created_by, reason=reason
        )


def store_order_cancelled_in_store(*, store_order: StoreOrder) -> StoreOrder:
    """The customer's order was cancelled in the store. Before anything was bought (or packed,
    for an order sent from stock) the portal order and the parcel are cancelled and the
    wallet refunded; after, the merchant decides."""
    StoreOrder.objects.filter(pk=store_order.pk).update(cancelled_in_store_at=timezone.now())
    store_order.cancelled_in_store_at = timezone.now()
    order = store_order.order
    reason = _("Cancelled in the store")
    if store_order.status in StoreOrder.UNPLACED:
        return move(store_order, SO.CANCELLED, reason)
    if order is None:
        parcel = store_order.parcel
        if parcel is None or parcel.status in PARCEL_CANCELLABLE | {Parcel.Status.CANCELLED}:
            release_stock(store_order, reason=reason)
            return move(store_order, SO.CANCELLED, reason)
        return move(
            store_order,
            store_order.status,
            _("Cancelled in the store, but the parcel is already packed."),
        )
    order = Order.objects.get(pk=order.pk)
    if order.status in BEFORE_PURCHASE:
        order_services.order_cancel(
            order=order, actor=store_order.connection.created_by, reason=reason
        )
        release_stock(store_order, reason=reason, statuses={Parcel.Status.DRAFT})
        return move(store_order, SO.CANCELLED, reason)
    if order.status in (OS.CANCELLED, OS.REFUNDED):
        release_stock(store_order, reason=reason, statuses={Parcel.Status.DRAFT})
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

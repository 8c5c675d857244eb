"""Placing purchase orders on 1688 through its trade API: preview, then place.

Staff ask (`alibaba_preview_request`, `alibaba_place_request`: permission, status, lock, a task
queued through the outbox); the task does the call (`alibaba_preview_run`,
`alibaba_place_run`) outside any transaction, so every request and answer is logged
(`AlibabaCall`) whatever happens next, and then writes the outcome under lock.

What keeps it safe:

* The purchase order's number is the ``outOrderId`` 1688 receives, the same on every try.
  1688's docs do not promise that a repeated id is refused, so a try whose answer was lost
  (timeout, system error, unreadable answer) leaves the `AlibabaOrder` row "unknown" with the
  time it was sent, and the next try first reads the buyer's order list (getBuyerOrderList)
  for an order under that id: found, it is recorded; not found, the order is placed; the list
  unreadable, the outcome stays unknown. A refusal leaves the row "failed" (nothing was
  ordered); an order made but not recorded here (wallet short, purchase order cancelled
  meanwhile) "created", and placing again records it without calling 1688.
* The 1688 order number, goods total and freight are recorded through
  `purchasing.purchase_order_place`, so a price difference goes through the one
  price-difference flow (charged, refunded or put to the merchant) and nothing else moves money.
* A split with some offers refused ("partial") is never recorded automatically: the orders 1688
  made are shown, and staff cancel them on 1688 or record the placement by hand.

Afterwards 1688's messages (pushed, signed; `alibaba_message_receive`) and a poll on beat
(`alibaba_sync_due`) each queue `alibaba_sync_run`, which reads the orders' current state with
buyerView and moves the purchase order: shipped with the carrier and tracking number (the
warehouse's expected inbound), or cancelled and refunded.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.adapters import open1688
from catalog.models import Product
from logistics.models import Warehouse
from orders import exceptions
from orders.adapters import trade1688
from orders.adapters.trade1688 import Cargo, Receiver, TradeClient
from orders.models import AlibabaCall, AlibabaOrder, PurchaseOrder
from orders.services.purchasing import (
    DifferenceHandling,
    _cancel,
    _ship,
    purchase_order_place,
)
from orders.services.status import PS, _lock_po, _po_note, _require
from procurement.accounts.models import User
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase

AS = AlibabaOrder.Status
# 1688's clock and ours may differ: the order list is read this much wider on both sides.
LIST_CLOCK_MARGIN = timedelta(minutes=10)


# --- The client --------------------------------------------------------------------------------


def alibaba_config() -> open1688.Config:
    return open1688.platform_config()


def alibaba_configured() -> bool:
    """Whether purchase orders can be sent to 1688 (else they are placed by hand)."""
    return alibaba_config().configured


def _recorder(po_id: int | None) -> open1688.Recorder:
    def record(exchange: open1688.Exchange) -> None:
        AlibabaCall.objects.create(
            purchase_order_id=po_id,
            api=exchange.api,
            request=exchange.request,
            http_status=exchange.http_status,
            response=exchange.response,
            error_code=exchange.error_code[:64],
            duration_ms=exchange.duration_ms,
        )

    return record


def trade_client(*, po_id: int | None = None) -> TradeClient:
    return TradeClient(open1688.platform_client(recorder=_recorder(po_id)))


# --- Gather: what is sent for a purchase order -------------------------------------------------


@dataclass(frozen=True)
class TradeRequest:
    cargo: list[Cargo]
    receiver: Receiver


def _spec_id(sku) -> str:
    """1688's ``specId`` of a SKU: the offer importer keeps it on the SKU as ``spec_id``;
    a SKU imported before that has none, and its purchase order is refused with a clear
    message rather than sent with a guessed id."""
    return str(getattr(sku, "spec_id", "") or "") if sku is not None else ""


def _receiver(po: PurchaseOrder) -> Receiver:
    warehouse = po.warehouse or Warehouse.objects.filter(is_active=True).order_by("pk").first()
    if warehouse is None:
        raise exceptions.OrdersError(_("Set up a receiving warehouse before ordering on 1688."))
    phone = settings.ALIBABA_RECEIVER_MOBILE or warehouse.phone
    if not phone:
        raise exceptions.OrdersError(
            _("Give the warehouse a phone number (or set ALIBABA_RECEIVER_MOBILE) for 1688.")
        )
    return Receiver(
        full_name=settings.ALIBABA_RECEIVER_NAME or warehouse.name,
        mobile=phone,
        phone=phone,
        post_code=warehouse.postcode,
        province=warehouse.region,
        city=warehouse.city,
        area="",
        address=warehouse.line1,
    )


def alibaba_trade_request(po: PurchaseOrder) -> TradeRequest:
    """The cargo (one entry per 1688 offer and spec) and the warehouse to ship to."""
    quantities: OrderedDict[tuple[str, str], int] = OrderedDict()
    for line in po.lines.select_related("product", "sku").order_by("pk"):
        product = line.product
        if product.source != Product.Source.ALIBABA_1688 or not product.source_offer_id:
            raise exceptions.OrdersError(
                _("“%(line)s” is not an offer imported from 1688: place this order by hand.")
                % {"line": line.description}
            )
        spec_id = _spec_id(line.sku)
        if line.sku is not None and not spec_id:
            raise exceptions.OrdersError(
                _("“%(line)s” has no 1688 spec id: import the offer again, then retry.")
                % {"line": line.description}
            )
        key = (product.source_offer_id, spec_id)
        quantities[key] = quantities.get(key, 0) + line.quantity
    cargo = [Cargo(offer, spec, qty) for (offer, spec), qty in quantities.items()]
    return TradeRequest(cargo=cargo, receiver=_receiver(po))


# --- Ask: staff request a preview or a placement ----------------------------------------------


def _link(po: PurchaseOrder) -> AlibabaOrder:
    link, _created = AlibabaOrder.objects.get_or_create(
        purchase_order=po,
        defaults={"out_order_id": f"{settings.ALIBABA_OUT_ORDER_PREFIX}{po}"},
    )
    return states.lock(link)


def _check_request(po: PurchaseOrder, actor: User) -> tuple[PurchaseOrder, AlibabaOrder]:
    _require(actor, "place_purchaseorder")
    if not alibaba_configured():
        raise open1688.NotConfigured
    _order, po = _lock_po(po)
    if not po.awaits_placement:
        raise exceptions.InvalidTransition(
            _("Only a purchase order waiting to be placed is sent to 1688.")
        )
    return po, _link(po)


@transaction.atomic
def alibaba_preview_request(*, po: PurchaseOrder, actor: User) -> AlibabaOrder:
    """Ask 1688 what this purchase order would cost and whether it can be ordered."""
    po, link = _check_request(po, actor)
    alibaba_trade_request(po)  # refuse now what could never be sent
    states.apply(link, to=AS.PREVIEWING, actor=actor, changes={"requested_by": actor})
    outbox_enqueue(task="orders.tasks.alibaba_preview", args=[po.pk])
    return link


@transaction.atomic
def alibaba_place_request(
    *, po: PurchaseOrder, actor: User, handling: str = DifferenceHandling.CHARGE
) -> AlibabaOrder:
    """Place this purchase order on 1688 (again, after a failure: with the same outOrderId)."""
    if handling not in (DifferenceHandling.CHARGE, DifferenceHandling.ASK):
        raise exceptions.OrdersError(_("Choose how a price difference is handled."))
    po, link = _check_request(po, actor)
    alibaba_trade_request(po)
    states.apply(
        link,
        to=AS.PLACING,
        actor=actor,
        changes={"requested_by": actor, "handling": handling, "attempts": link.attempts + 1},
    )
    outbox_enqueue(task="orders.tasks.alibaba_place", args=[po.pk])
    return link


# --- Run: the task's side ----------------------------------------------------------------------


def _finish(po_id: int, *, to: str, note: str, changes: dict | None = None) -> None:
    with transaction.atomic():
        link = AlibabaOrder.objects.select_for_update().get(purchase_order_id=po_id)
        states.apply(link, to=to, changes=changes or {})
        _order, po = _lock_po(link.purchase_order)
        _po_note(po, actor=None, reason=note)


def _failure(error: DomainError) -> tuple[str, dict]:
    """The status an error leaves a placement in, and what to remember of it."""
    unknown = isinstance(
        error, open1688.PlatformTimeout | open1688.SystemBusy | open1688.MalformedResponse
    )
    changes = {
        "error_code": getattr(error, "platform_code", "") or error.code,
        "error_message": str(error.message),
    }
    return (AS.UNKNOWN if unknown else AS.FAILED), changes


def alibaba_preview_run(*, po_id: int) -> str:
    link = AlibabaOrder.objects.select_related("purchase_order").get(purchase_order_id=po_id)
    if link.status != AS.PREVIEWING:
        return link.status  # a repeated task: the preview already has its answer
    po = link.purchase_order
    try:
        request = alibaba_trade_request(po)
        preview = trade_client(po_id=po_id).preview(
            cargo=request.cargo, receiver=request.receiver, out_order_id=link.out_order_id
        )
    except DomainError as error:
        _status, changes = _failure(error)
        note = phrase("1688 preview failed: %(error)s", error=error.message)
        _finish(po_id, to=AS.FAILED, note=note, changes=changes)
        return AS.FAILED
    note = phrase(
        "1688 preview: goods ¥%(goods)s, freight ¥%(freight)s, total ¥%(total)s "
        "(expected ¥%(expected)s).",
        goods=preview.goods_cny,
        freight=preview.freight_cny,
        total=preview.total_cny,
        expected=po.expected_total_cny,
    )
    changes = {"preview": preview.as_json(), "error_code": "", "error_message": ""}
    _finish(po_id, to=AS.PREVIEWED, note=note, changes=changes)
    return AS.PREVIEWED


def order_numbers(order_ids: list[str]) -> str:
    """What the purchase order shows as its 1688 order number (every number when they fit)."""
    numbers = ",".join(order_ids)
    return numbers if len(numbers) <= 64 else order_ids[0]


def failed_text(failed) -> str:
    return ", ".join(f"{f.offer_id}/{f.spec_id} ({f.code} {f.message})".strip() for f in failed)


def _unconfirmed(link: AlibabaOrder, out_order_id: str, message: str) -> list | None:
    """What an earlier try whose answer was lost made on 1688 under this outOrderId (read
    from the buyer's order list), or None when no try is unconfirmed."""
    if link.look_up_since is None:
        return None
    return trade1688.orders_placed_as(
        trade_client(po_id=link.purchase_order_id).client,
        out_order_id,
        message=message,
        since=link.look_up_since - LIST_CLOCK_MARGIN,
        until=timezone.now() + LIST_CLOCK_MARGIN,
    )


def alibaba_place_run(*, po_id: int) -> str:
    link = AlibabaOrder.objects.select_related("purchase_order").get(purchase_order_id=po_id)
    if link.status != AS.PLACING:
        return link.status  # a repeated task: this attempt already has its outcome
    po = link.purchase_order
    sent_at = timezone.now()
    note = ""
    if link.order_ids:
        # Made on 1688 by an earlier try and not recorded here: record them, order nothing.
        goods, freight = link.goods_total_cny or Decimal(0), link.freight_cny or Decimal(0)
        found = {"order_ids": list(link.order_ids), "goods_total_cny": goods}
        found["freight_cny"] = freight
        return _record(link, po, found, total=goods + freight)
    try:
        request = alibaba_trade_request(po)
        earlier = _unconfirmed(link, link.out_order_id, str(po))
        if earlier:
            created = trade1688.Created(earlier)
            note = phrase(
                "1688 had made order(s) %(orders)s at an earlier try whose answer was lost: "
                "recorded, not placed again.",
                orders=", ".join(o.order_id for o in earlier),
            )
        else:
            created = trade_client(po_id=po_id).create(
                cargo=request.cargo,
                receiver=request.receiver,
                out_order_id=link.out_order_id,
                message=str(po),
            )
    except DomainError as error:
        to, changes = _failure(error)
        if to == AS.UNKNOWN:
            changes["look_up_since"] = link.look_up_since or sent_at
            note = phrase(
                "1688 did not confirm the order (%(error)s); it may have made it. Placing again "
                "first looks in the buyer account's 1688 order list for order id %(out)s "
                "(message %(po)s) and records what it finds instead of ordering twice.",
                error=error.message,
                out=link.out_order_id,
                po=str(po),
            )
        else:
            note = phrase("1688 refused the order: %(error)s", error=error.message)
        _finish(po_id, to=to, note=note, changes=changes)
        return to
    found = {
        "order_ids": [o.order_id for o in created.orders],
        "goods_total_cny": created.goods_cny,
        "freight_cny": created.freight_cny,
        "look_up_since": None,
    }
    if created.failed:
        refused = failed_text(created.failed)
        note = phrase(
            "1688 created order(s) %(orders)s but refused %(refused)s. Cancel those orders on "
            "1688 from here, or place the missing part.",
            orders=", ".join(found["order_ids"]),
            refused=refused,
        )
        changes = {
            **found,
            "failed_offers": [asdict(f) for f in created.failed],
            "error_code": created.failed[0].code,
            "error_message": refused,
        }
        _finish(po_id, to=AS.PARTIAL, note=note, changes=changes)
        return AS.PARTIAL
    return _record(link, po, found, total=created.total_cny, note=note)


def _record(
    link: AlibabaOrder, po: PurchaseOrder, found: dict, *, total: Decimal, note: str = ""
) -> str:
    """Record the 1688 order(s) on the purchase order (price difference included); if that is
    refused, remember the orders so that placing again records them without ordering."""
    try:
        with transaction.atomic():
            locked = AlibabaOrder.objects.select_for_update().get(pk=link.pk)
            states.apply(
                locked, to=AS.PLACED, changes={**found, "error_code": "", "error_message": ""}
            )
            purchase_order_place(
                po=po,
                actor=link.requested_by,
                supplier_order_no=order_numbers(found["order_ids"]),
                actual_total_cny=total,
                handling=link.handling or DifferenceHandling.CHARGE,
            )
            if note:
                _po_note(PurchaseOrder.objects.get(pk=po.pk), actor=None, reason=note)
    except DomainError as error:
        note = phrase(
            "1688 order(s) %(orders)s created for ¥%(total)s, but not recorded here: %(error)s "
            "Place again to record them (nothing is ordered again).",
            orders=", ".join(found["order_ids"]),
            total=total,
            error=error.message,
        )
        changes = {**found, "error_code": error.code, "error_message": str(error.message)}
        _finish(link.purchase_order_id, to=AS.CREATED, note=note, changes=changes)
        return AS.CREATED
    return AS.PLACED


# --- Events: 1688's view of the order moves the purchase order --------------------------------


def alibaba_sync_run(*, po_id: int) -> str:
    """Read every 1688 order of this purchase order (buyerView) and move the purchase order to
    what 1688 says now: shipped (carrier and tracking number), or cancelled and refunded when
    every order was closed or refunded before shipping. Reading the current state, not
    trusting an event's own status, makes a repeated or late event harmless: a move the
    purchase order has already made, or can no longer make, changes nothing."""
    link = AlibabaOrder.objects.select_related("purchase_order").get(purchase_order_id=po_id)
    if link.status != AS.PLACED or not link.order_ids:
        return link.status
    client = trade_client(po_id=po_id).client
    views = [trade1688.buyer_view(client, order_id) for order_id in link.order_ids]
    statuses = ",".join(sorted({v.status for v in views}))
    # The domestic leg: each shipped order's parcels and their carrier scans.
    parcels = [
        parcel.as_json()
        for view in views
        if view.shipments
        for parcel in trade1688.parcels(client, view.order_id)
    ]
    with transaction.atomic():
        link = AlibabaOrder.objects.select_for_update().get(pk=link.pk)
        order, po = _lock_po(link.purchase_order)
        shipments = [s for v in views for s in v.shipments]
        changes = {"trade_status": statuses[:32], "synced_at": timezone.now()}
        if parcels:
            changes.update(parcels=parcels, traced_at=changes["synced_at"])
        if all(v.status in trade1688.SHIPPED for v in views) and shipments:
            changes["carrier"] = ", ".join(dict.fromkeys(s.carrier for s in shipments))[:100]
            if po.can_become(PS.SHIPPED):
                numbers = ",".join(dict.fromkeys(s.tracking_number for s in shipments))[:64]
                _ship(
                    order,
                    po,
                    actor=None,
                    tracking_number=numbers,
                    reason=phrase(
                        "Shipped by the seller on 1688: %(carrier)s %(no)s",
                        carrier=changes["carrier"],
                        no=numbers,
                    ),
                )
        elif all(v.status in trade1688.CLOSED or v.refunded for v in views):
            if po.can_become(PS.CANCELLED) and po.status != PS.SHIPPED:
                refunded = any(v.refunded for v in views)
                _cancel(
                    order,
                    po,
                    actor=None,
                    reason=(
                        phrase("Refunded on 1688; the merchant is refunded.")
                        if refunded
                        else _("Cancelled on 1688; the merchant is refunded.")
                    ),
                )
        elif statuses != link.trade_status and all(v.status in trade1688.PAID for v in views):
            _po_note(po, actor=None, reason=phrase("Paid on 1688; waiting for the seller to ship."))
        AlibabaOrder.objects.filter(pk=link.pk).update(**changes)
    return statuses


def alibaba_sync_due() -> int:
    """Queue a read of every purchase order placed on 1688 and not yet received (beat): the
    fallback when a pushed message is lost, and the domestic parcel's trace while it travels
    to the warehouse. Returns how many were queued."""
    ids = list(
        AlibabaOrder.objects.filter(
            status=AS.PLACED,
            purchase_order__status__in=[PS.PLACED, PS.PRICE_CHANGED, PS.SHIPPED],
        ).values_list("purchase_order_id", flat=True)
    )
    with transaction.atomic():
        for po_id in ids:
            outbox_enqueue(task="orders.tasks.alibaba_sync", args=[po_id])
    return len(ids)


@dataclass(frozen=True)
class PushedMessage:
    msg_id: str
    type: str
    order_id: str


def alibaba_message_receive(*, fields: dict[str, str]) -> PushedMessage | None:
    """A message 1688 pushed (form fields ``message`` and ``_aop_signature``): check the
    signature, log it, and queue a read of the purchase order it concerns. Returns None for a
    message about an order this portal did not place. Raises `SignatureRefused` or
    `MalformedResponse` with nothing written."""
    config = alibaba_config()
    message = fields.get("message", "")
    expected = open1688.sign("", {"message": message}, config.app_secret)
    if not config.app_secret or fields.get("_aop_signature", "") != expected:
        raise open1688.SignatureRefused
    try:
        data = json.loads(message)
        pushed = PushedMessage(
            msg_id=str(data["msgId"]),
            type=str(data["type"]),
            order_id=str(data["data"]["orderId"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise open1688.MalformedResponse from exc
    candidates = PurchaseOrder.objects.filter(
        supplier_order_no__contains=pushed.order_id, alibaba__status=AS.PLACED
    ).select_related("alibaba")
    po = next((p for p in candidates if pushed.order_id in p.alibaba.order_ids), None)
    with transaction.atomic():
        AlibabaCall.objects.create(
            purchase_order=po,
            api=f"push {pushed.type}"[:80],
            request={"message": message},
            http_status=200,
            error_code="",
        )
        if po is not None:
            outbox_enqueue(task="orders.tasks.alibaba_sync", args=[po.pk])
    return pushed if po is not None else None

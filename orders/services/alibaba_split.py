"""A partial split by 1688: createCrossOrder made some orders and refused some offers.

Nothing is recorded on the purchase order and no money moves while it is partial. An account
manager either

* cancels the part 1688 made (`alibaba_cancel_request`; ``alibaba.trade.cancel`` for each of its
  orders): once every one is cancelled nothing is ordered, the purchase order waits to be placed
  again, and the next placement sends a new ``outOrderId`` (1688 would answer the old one with
  the cancelled order); or
* places the missing part (`alibaba_complete_request`): only the refused offers' cargo, with
  ``outOrderId`` = the placement's id + "-rest<n>", the same on every retry until 1688 makes
  another order; after a try whose answer was lost, the buyer's order list is read for that id
  first, so a timeout followed by a retry never orders the rest twice. When nothing is
  missing any more, every 1688 order is recorded at once through `purchase_order_place`, and a
  price difference goes through the one price-difference flow.

Like placing, the request locks and queues a task through the outbox; the task calls 1688
outside any transaction (every exchange logged) and writes the outcome under lock.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.adapters import open1688
from orders import exceptions
from orders.adapters import trade1688
from orders.models import AlibabaOrder, PurchaseOrder
from orders.services.alibaba import (
    _failure,
    _finish,
    _unconfirmed,
    alibaba_configured,
    alibaba_trade_request,
    failed_text,
    order_numbers,
    trade_client,
)
from orders.services.purchasing import DifferenceHandling, purchase_order_place
from orders.services.status import _lock_po, _require
from procurement.accounts.models import User
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase

AS = AlibabaOrder.Status


def _check_partial(po: PurchaseOrder, actor: User, to: str) -> AlibabaOrder:
    _require(actor, "place_purchaseorder")
    if not alibaba_configured():
        raise open1688.NotConfigured
    _order, po = _lock_po(po)
    link = AlibabaOrder.objects.select_for_update().filter(purchase_order=po).first()
    if link is None or not link.can_become(to) or not po.awaits_placement:
        raise exceptions.InvalidTransition(
            _("Only a purchase order partly created on 1688 can be cancelled or completed there.")
        )
    return link


@transaction.atomic
def alibaba_cancel_request(*, po: PurchaseOrder, actor: User) -> AlibabaOrder:
    """Cancel on 1688 the orders a partial split made (nothing is then ordered)."""
    link = _check_partial(po, actor, AS.CANCELLING)
    states.apply(link, to=AS.CANCELLING, actor=actor, changes={"requested_by": actor})
    outbox_enqueue(task="orders.tasks.alibaba_cancel", args=[po.pk])
    return link


@transaction.atomic
def alibaba_complete_request(*, po: PurchaseOrder, actor: User) -> AlibabaOrder:
    """Place on 1688 what a partial split refused, then record every order."""
    link = _check_partial(po, actor, AS.COMPLETING)
    if link.failed_offers:
        _rest_cargo(link)  # refuse now what could never be sent
    states.apply(link, to=AS.COMPLETING, actor=actor, changes={"requested_by": actor})
    outbox_enqueue(task="orders.tasks.alibaba_complete", args=[po.pk])
    return link


def _rest_cargo(link: AlibabaOrder) -> list[trade1688.Cargo]:
    missing = {(str(f["offer_id"]), str(f["spec_id"])) for f in link.failed_offers}
    cargo = alibaba_trade_request(link.purchase_order).cargo
    return [c for c in cargo if (c.offer_id, c.spec_id) in missing]


def alibaba_cancel_run(*, po_id: int) -> str:
    link = AlibabaOrder.objects.select_related("purchase_order").get(purchase_order_id=po_id)
    if link.status != AS.CANCELLING:
        return link.status
    client = trade_client(po_id=po_id).client
    cancelled, error = [], None
    for order_id in link.order_ids:
        try:
            trade1688.cancel(client, order_id, remark=str(link.purchase_order))
        except DomainError as failure:
            error = failure
            break
        cancelled.append(order_id)
    remaining = [o for o in link.order_ids if o not in cancelled]
    changes = {
        "cancelled_order_ids": [*link.cancelled_order_ids, *cancelled],
        "order_ids": remaining,
    }
    if error is not None:
        changes.update(error_code=getattr(error, "platform_code", "") or error.code)
        changes["error_message"] = str(error.message)
        note = phrase(
            "1688 did not cancel order(s) %(orders)s: %(error)s",
            orders=", ".join(remaining),
            error=error.message,
        )
        _finish(po_id, to=AS.PARTIAL, note=note, changes=changes)
        return AS.PARTIAL
    # Nothing is ordered any more; the next placement must not be answered with these orders.
    prefix = settings.ALIBABA_OUT_ORDER_PREFIX
    changes.update(
        out_order_id=f"{prefix}{link.purchase_order}-{link.attempts}",
        failed_offers=[],
        goods_total_cny=None,
        freight_cny=None,
        error_code="",
        error_message="",
    )
    note = phrase(
        "Cancelled on 1688: %(orders)s. Nothing is ordered; place the order again.",
        orders=", ".join(cancelled),
    )
    _finish(po_id, to=AS.FAILED, note=note, changes=changes)
    return AS.FAILED


def alibaba_complete_run(*, po_id: int) -> str:
    link = AlibabaOrder.objects.select_related("purchase_order").get(purchase_order_id=po_id)
    if link.status != AS.COMPLETING:
        return link.status
    po = link.purchase_order
    order_ids = list(link.order_ids)
    goods, freight = link.goods_total_cny or Decimal(0), link.freight_cny or Decimal(0)
    failed = list(link.failed_offers)
    if failed:
        sent_at = timezone.now()
        try:
            request = alibaba_trade_request(po)
            earlier = [
                o
                for o in _unconfirmed(link, link.rest_out_order_id, str(po)) or []
                if o.order_id not in order_ids
            ]
            if earlier:
                created = trade1688.Created(earlier)
            else:
                created = trade_client(po_id=po_id).create(
                    cargo=_rest_cargo(link),
                    receiver=request.receiver,
                    out_order_id=link.rest_out_order_id,
                    message=str(po),
                )
        except DomainError as error:
            to, changes = _failure(error)
            if to == AS.UNKNOWN:
                changes["look_up_since"] = link.look_up_since or sent_at
            note = phrase(
                "1688 did not place the missing part (%(error)s). Try again: the buyer "
                "account's 1688 order list is read first for order id %(out)s, so what 1688 "
                "made is recorded, not ordered twice.",
                error=error.message,
                out=link.rest_out_order_id,
            )
            _finish(po_id, to=AS.PARTIAL, note=note, changes=changes)
            return AS.PARTIAL
        order_ids += [o.order_id for o in created.orders]
        goods, freight = goods + created.goods_cny, freight + created.freight_cny
        failed = [asdict(f) for f in created.failed]
    found = {
        "order_ids": order_ids,
        "goods_total_cny": goods,
        "freight_cny": freight,
        "failed_offers": failed,
        "look_up_since": None,
    }
    if failed:
        refused = failed_text(created.failed)
        note = phrase("1688 placed part of the rest and refused %(refused)s.", refused=refused)
        changes = {**found, "error_code": failed[0]["code"], "error_message": refused}
        _finish(po_id, to=AS.PARTIAL, note=note, changes=changes)
        return AS.PARTIAL
    try:
        with transaction.atomic():
            locked = AlibabaOrder.objects.select_for_update().get(pk=link.pk)
            states.apply(
                locked, to=AS.PLACED, changes={**found, "error_code": "", "error_message": ""}
            )
            purchase_order_place(
                po=po,
                actor=link.requested_by,
                supplier_order_no=order_numbers(order_ids),
                actual_total_cny=goods + freight,
                handling=link.handling or DifferenceHandling.CHARGE,
            )
    except DomainError as error:
        note = phrase(
            "1688 order(s) %(orders)s cover the whole purchase order (¥%(total)s) but are not "
            "recorded here: %(error)s Complete again to record them.",
            orders=", ".join(order_ids),
            total=goods + freight,
            error=error.message,
        )
        changes = {**found, "error_code": error.code, "error_message": str(error.message)}
        _finish(po_id, to=AS.PARTIAL, note=note, changes=changes)
        return AS.PARTIAL
    return AS.PLACED

"""Orders above a buyer's spending limit wait for an approver: approve or reject."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import exceptions
from orders.models import (
    Order,
)
from orders.services.checkout import _lock_fx_quote
from orders.services.status import OS, _lock_order
from procurement.accounts.models import Membership, User
from procurement.accounts.roles import Capability, role_can
from procurement.core import states
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase


def _require_approver(order: Order, actor: User, membership: Membership | None) -> None:
    if (
        membership is None
        or membership.company_id != order.company_id
        or not role_can(membership.role, Capability.APPROVE)
    ):
        raise exceptions.PermissionRefused(_("Only an approver or an owner can decide this."))
    if order.created_by_id == actor.pk:
        raise exceptions.PermissionRefused(_("Another approver must decide on your own order."))


@transaction.atomic
def order_approve(
    *, order: Order, actor: User, membership: Membership | None, comment: str = ""
) -> Order:
    order = _lock_order(order)
    _require_approver(order, actor, membership)
    states.apply(
        order,
        to=OS.AWAITING_PAYMENT,
        actor=actor,
        reason=comment.strip() or _("Approved"),
        changes={
            "approved_by": actor,
            "approved_at": timezone.now(),
            "approval_comment": comment.strip(),
            "quote": _lock_fx_quote(order, actor=actor),
        },
    )
    outbox_enqueue(task="orders.tasks.order_approval_decided", args=[order.pk])
    return order


@transaction.atomic
def order_reject(
    *, order: Order, actor: User, membership: Membership | None, comment: str
) -> Order:
    comment = (comment or "").strip()
    if not comment:
        raise exceptions.OrdersError(_("Say why the order is rejected."))
    order = _lock_order(order)
    _require_approver(order, actor, membership)
    states.apply(
        order,
        to=OS.CANCELLED,
        actor=actor,
        reason=phrase("Rejected: %(comment)s", comment=comment),
        changes={"approval_comment": comment},
    )
    outbox_enqueue(task="orders.tasks.order_approval_decided", args=[order.pk])
    return order

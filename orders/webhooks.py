"""Outbound webhook payloads of the orders app (`procurement.core.webhooks`).

Small JSON: ids as strings, amounts as decimal strings with their currency. The services call
these inside their transaction: the delivery rows commit (or roll back) with the change that
caused them, and `webhook_event_emit` sends them only after the commit.
"""

from decimal import Decimal

from orders.models import Order, PurchaseOrder, SourcingQuote
from procurement.core.webhooks import webhook_event_emit


def _money(amount: Decimal | None, currency: str) -> dict | None:
    if amount is None:
        return None
    return {"amount": str(amount), "currency": currency}


def order_paid(order: Order) -> None:
    quote = order.quote
    webhook_event_emit(
        company=order.company,
        event="order.paid",
        payload={
            "order_id": str(order.pk),
            "number": order.number,
            "status": order.status,
            "paid_at": order.paid_at.isoformat() if order.paid_at else None,
            "charged": _money(quote.total_charge, quote.from_currency) if quote else None,
            "goods": _money(order.goods_cny, "CNY"),
            "domestic_freight": _money(order.domestic_freight_cny, "CNY"),
        },
    )


def purchase_order_exception(po: PurchaseOrder, *, failed_line_ids=()) -> None:
    webhook_event_emit(
        company=po.order.company,
        event="purchase_order.exception",
        payload={
            "purchase_order_id": str(po.pk),
            "order_id": str(po.order_id),
            "order_number": po.order.number,
            "status": po.status,
            "expected_total": _money(po.expected_total_cny, "CNY"),
            "proposed_total": _money(po.proposed_total_cny, "CNY"),
            "failed_line_ids": [str(pk) for pk in failed_line_ids],
        },
    )


def quote_ready(quote: SourcingQuote) -> None:
    lines = list(quote.lines.all())
    webhook_event_emit(
        company=quote.request.company,
        event="quote.ready",
        payload={
            "quote_id": str(quote.pk),
            "sourcing_request_id": str(quote.request_id),
            "valid_until": quote.valid_until.isoformat(),
            "total": _money(sum((line.line_total_cny for line in lines), Decimal("0.00")), "CNY"),
            "line_count": len(lines),
        },
    )

"""The merchant's order confirmation (pro forma invoice once unpaid) as a PDF, in the
merchant's language, built on the `exports` queue and kept under the order's generation (its
latest timeline event: any status change makes a new file)."""

from django.db.models import Max

from orders.models import Order
from procurement.core.outbox import outbox_enqueue
from procurement.core.pdf import pdf_cached, pdf_language, pdf_path, pdf_store, render_pdf

TEMPLATE = "orders/documents/order_confirmation.html"


def order_confirmation_path(order: Order, language: str) -> str:
    generation = order.events.aggregate(last=Max("pk"))["last"] or 0
    return pdf_path(
        family="orders",
        key=f"order-{order.pk}",
        generation=generation,
        language=pdf_language(language),
    )


def order_confirmation_pdf_request(*, order: Order, language: str) -> str | None:
    """The stored PDF's path when it is current; else None, with the build queued."""
    path = order_confirmation_path(order, language)
    if pdf_cached(path):
        return path
    # The name matches the "*.export_*" route: built on the `exports` queue.
    outbox_enqueue(
        task="orders.tasks.export_order_confirmation_pdf",
        args=[order.pk, pdf_language(language)],
    )
    return None


def order_confirmation_pdf_build(*, order_id: int, language: str) -> str:
    order = (
        Order.objects.select_related("company", "created_by", "approved_by", "quote")
        .prefetch_related("lines__supplier")
        .get(pk=order_id)
    )
    path = order_confirmation_path(order, language)
    if pdf_cached(path):
        return path
    pdf = render_pdf(
        template=TEMPLATE,
        context={
            "order": order,
            "company": order.company,
            "is_pro_forma": order.paid_at is None,
            "lines": list(order.lines.all()),
        },
        language=pdf_language(language),
    )
    return pdf_store(path, pdf)

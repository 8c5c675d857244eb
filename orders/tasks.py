"""Thin Celery tasks: take ids, send one notification. Queued by the services through the task
outbox, so a task may run twice (at least once): a repeated notification is a repeated mail."""

from celery import shared_task

from orders import notifications
from orders.services import alibaba, alibaba_split


@shared_task
def order_paid(order_id: int) -> int:
    return notifications.order_paid(order_id)


@shared_task
def order_approval_needed(order_id: int) -> int:
    return notifications.order_approval_needed(order_id)


@shared_task
def order_approval_decided(order_id: int) -> int:
    return notifications.order_approval_decided(order_id)


@shared_task
def purchase_order_exception(po_id: int) -> int:
    return notifications.purchase_order_exception(po_id)


@shared_task
def sourcing_quote_ready(quote_id: int) -> int:
    return notifications.sourcing_quote_ready(quote_id)


@shared_task
def message_posted(message_id: int) -> int:
    return notifications.message_posted(message_id)


@shared_task
def alibaba_preview(po_id: int) -> str:
    return alibaba.alibaba_preview_run(po_id=po_id)


@shared_task
def alibaba_place(po_id: int) -> str:
    return alibaba.alibaba_place_run(po_id=po_id)


@shared_task
def alibaba_sync(po_id: int) -> str:
    return alibaba.alibaba_sync_run(po_id=po_id)


@shared_task
def alibaba_sync_due() -> int:
    return alibaba.alibaba_sync_due()


@shared_task
def alibaba_cancel(po_id: int) -> str:
    return alibaba_split.alibaba_cancel_run(po_id=po_id)


@shared_task
def alibaba_complete(po_id: int) -> str:
    return alibaba_split.alibaba_complete_run(po_id=po_id)


# The order confirmation PDF: the name matches the "*.export_*" route: `exports`.
@shared_task(name="orders.tasks.export_order_confirmation_pdf", acks_late=True)
def export_order_confirmation_pdf(order_id: int, language: str) -> str:
    from orders.documents import order_confirmation_pdf_build

    return order_confirmation_pdf_build(order_id=order_id, language=language)

"""Notification mails. Each function takes an id, reads what it needs and sends one mail;
`orders.tasks` runs them through Celery after the triggering transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from orders import conf
from orders.models import Message, Order, PurchaseOrder, SourcingQuote
from procurement.accounts.models import Membership, Role


def _url(name: str, *args) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + reverse(name, args=args)


def _send(subject: str, template: str, context: dict, recipients) -> int:
    recipients = sorted({email for email in recipients if email})
    if not recipients:
        return 0
    return send_mail(
        subject=subject,
        message=render_to_string(f"orders/email/{template}", context),
        from_email=None,
        recipient_list=recipients,
    )


def _company_emails(company_id: int, roles) -> set[str]:
    return set(
        Membership.objects.filter(company_id=company_id, role__in=roles).values_list(
            "user__email", flat=True
        )
    )


def order_paid(order_id: int) -> int:
    order = Order.objects.select_related("created_by", "company").get(pk=order_id)
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            _("Order %(number)s is paid") % {"number": order.number},
            "order_paid.txt",
            {"order": order, "url": _url("orders:order-detail", order.pk)},
            [order.created_by.email],
        )


def order_approval_needed(order_id: int) -> int:
    order = Order.objects.select_related("created_by", "company").get(pk=order_id)
    approvers = _company_emails(order.company_id, [Role.APPROVER, Role.OWNER])
    approvers.discard(order.created_by.email)
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            _("Order %(number)s needs your approval") % {"number": order.number},
            "approval_needed.txt",
            {"order": order, "url": _url("orders:approval-list")},
            approvers,
        )


def order_approval_decided(order_id: int) -> int:
    order = Order.objects.select_related("created_by", "approved_by").get(pk=order_id)
    approved = order.status != Order.Status.CANCELLED
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            (_("Order %(number)s was approved") if approved else _("Order %(number)s was rejected"))
            % {"number": order.number},
            "approval_decided.txt",
            {"order": order, "approved": approved, "url": _url("orders:order-detail", order.pk)},
            [order.created_by.email],
        )


def purchase_order_exception(po_id: int) -> int:
    po = PurchaseOrder.objects.select_related("order__created_by", "supplier").get(pk=po_id)
    recipients = _company_emails(po.order.company_id, [Role.OWNER])
    recipients.add(po.order.created_by.email)
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            _("Order %(number)s: %(status)s")
            % {"number": po.order.number, "status": po.get_status_display()},
            "purchase_order_exception.txt",
            {"po": po, "order": po.order, "url": _url("orders:order-detail", po.order_id)},
            recipients,
        )


def sourcing_quote_ready(quote_id: int) -> int:
    quote = SourcingQuote.objects.select_related("request__created_by").get(pk=quote_id)
    request = quote.request
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            _("Your quote for “%(title)s” is ready") % {"title": request.title},
            "quote_ready.txt",
            {"quote": quote, "request": request, "url": _url("orders:sourcing-detail", request.pk)},
            [request.created_by.email],
        )


def message_posted(message_id: int) -> int:
    message = Message.objects.select_related(
        "author",
        "order__created_by",
        "order__company__account_manager",
        "sourcing_request__created_by",
        "sourcing_request__assigned_to",
        "sourcing_request__company__account_manager",
    ).get(pk=message_id)
    if message.order_id:
        thread = message.order
        merchant = thread.created_by
        manager = thread.company.account_manager
        merchant_url = _url("orders:order-detail", thread.pk)
        staff_url = _url("admin:orders_order_change", thread.pk)
        title = thread.number
    else:
        thread = message.sourcing_request
        merchant = thread.created_by
        manager = thread.assigned_to or thread.company.account_manager
        merchant_url = _url("orders:sourcing-detail", thread.pk)
        staff_url = _url("admin:orders_sourcingrequest_change", thread.pk)
        title = thread.title
    if message.from_staff:
        recipients, url = [merchant.email], merchant_url
    else:
        recipients = [manager.email if manager else conf.staff_notify_email()]
        url = staff_url
    recipients = [email for email in recipients if email != message.author.email]
    with translation.override(settings.LANGUAGE_CODE):
        return _send(
            _("New message about %(title)s") % {"title": title},
            "message_posted.txt",
            {"message": message, "title": title, "url": url},
            recipients,
        )

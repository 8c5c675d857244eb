"""Mail to merchants, sent by tasks the services queued through the outbox."""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from logistics import conf
from logistics.models import Parcel, StockItem, TrackingAlert
from procurement.accounts.models import Company, Role, User


def _merchant_recipients(company_id: int, *extra: User | None) -> list[str]:
    from procurement.accounts.models import Membership

    emails = set(
        Membership.objects.filter(
            company_id=company_id, role__in=[Role.OWNER, Role.BUYER]
        ).values_list("user__email", flat=True)
    )
    emails.update(user.email for user in extra if user is not None)
    return sorted(emails)


def _site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def parcel_exception_mail_send(*, parcel_id: int) -> None:
    """Tell the merchant that its parcel hit an exception (customs hold, returned, lost)."""
    parcel = Parcel.objects.select_related("company", "created_by", "destination").get(pk=parcel_id)
    last = parcel.tracking_events.order_by("-occurred_at", "-pk").first()
    context = {
        "parcel": parcel,
        "event": last,
        "url": _site_url(reverse("logistics:parcel-detail", args=[parcel.pk])),
    }
    send_mail(
        subject=_("Parcel %(ref)s: %(status)s")
        % {"ref": parcel.reference, "status": parcel.get_status_display()},
        message=render_to_string("logistics/email/parcel_exception.txt", context),
        from_email=None,
        recipient_list=_merchant_recipients(parcel.company_id, parcel.created_by),
    )


def tracking_alert_mail_send(*, alert_id: int) -> None:
    """Tell the merchant about a carrier exception (failed attempt, customs hold, return, loss),
    once per parcel and kind (queued by tracking_events_record)."""
    alert = TrackingAlert.objects.select_related(
        "parcel__company", "parcel__created_by", "parcel__destination", "event"
    ).get(pk=alert_id)
    parcel = alert.parcel
    context = {
        "parcel": parcel,
        "alert": alert,
        "event": alert.event,
        "url": _site_url(reverse("logistics:parcel-detail", args=[parcel.pk])),
    }
    send_mail(
        subject=_("Parcel %(ref)s: %(kind)s")
        % {"ref": parcel.reference, "kind": alert.get_kind_display()},
        message=render_to_string("logistics/email/tracking_alert.txt", context),
        from_email=None,
        recipient_list=_merchant_recipients(parcel.company_id, parcel.created_by),
    )


def storage_notice_mail_send(*, company_id: int, item_ids: Sequence[int]) -> None:
    """Mail a company the items whose free storage ends soon (queued by storage_notices_send)."""
    company = Company.objects.get(pk=company_id)
    items = list(
        StockItem.objects.filter(pk__in=item_ids, company_id=company_id).order_by(
            "free_storage_until", "pk"
        )
    )
    if not items:
        return
    context = {
        "company": company,
        "items": items,
        "fee_cny": conf.storage_fee_cny(),
        "url": _site_url(reverse("logistics:stock-list")),
    }
    send_mail(
        subject=_("Storage fees start soon for %(n)s items") % {"n": len(items)},
        message=render_to_string("logistics/email/storage_notice.txt", context),
        from_email=None,
        recipient_list=_merchant_recipients(company_id),
    )

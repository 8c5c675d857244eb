"""The admin's Operations page for superusers: what is waiting and what is failing, in one
place: the outbox backlog, the broker's queues, webhook endpoints whose deliveries fail, and the
latest export runs."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from payments.models import ExportJob
from procurement import metrics
from procurement.core.models import OutboxTask, WebhookDelivery

FAILING_ENDPOINTS = 20
LATEST_EXPORTS = 10


def _queue_lengths() -> dict[str, int | None]:
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return {}
    try:
        broker = metrics.broker()
        return {queue: broker.llen(queue) for queue in metrics.QUEUES}
    except Exception:  # the page must open while Redis is down: say so instead
        return dict.fromkeys(metrics.QUEUES)


def operations(request, admin_site):
    if not request.user.is_superuser:
        raise PermissionDenied
    outbox = OutboxTask.objects.filter(sent_at__isnull=True).aggregate(
        count=Count("id"), oldest=Min("created_at")
    )
    failing = (
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.RETRYING]
        )
        .values("endpoint_id", "endpoint__url", "company__legal_name")
        .annotate(
            failed=Count("id", filter=Q(status=WebhookDelivery.Status.FAILED)),
            retrying=Count("id", filter=Q(status=WebhookDelivery.Status.RETRYING)),
            latest=Max("created_at"),
        )
        .order_by("-failed", "-retrying")[:FAILING_ENDPOINTS]
    )
    context = {
        **admin_site.each_context(request),
        "title": _("Operations"),
        "outbox_unsent": outbox["count"],
        "outbox_oldest": outbox["oldest"],
        "queues": _queue_lengths(),
        "failing_endpoints": list(failing),
        "exports": ExportJob.objects.select_related("requested_by").order_by("-created_at")[
            :LATEST_EXPORTS
        ],
    }
    return TemplateResponse(request, "admin/operations.html", context)

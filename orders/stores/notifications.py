"""Mail to the merchant about its store connections."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from orders.stores.models import StoreConnection
from procurement.accounts.models import Role


def connection_attention(connection_id: int) -> int:
    """The store refused our credentials: the company's owners are told once."""
    connection = StoreConnection.objects.select_related("company").get(pk=connection_id)
    recipients = sorted(
        connection.company.memberships.filter(role=Role.OWNER).values_list("user__email", flat=True)
    )
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse("stores:detail", args=[connection.pk])
    body = _(
        "Your store %(name)s refused our credentials, so we stopped reading its orders. "
        "Connect it again with new credentials: %(link)s\n\nThe store said: %(error)s"
    ) % {"name": connection.name, "link": link, "error": connection.last_error}
    return send_mail(
        _("Your store %(name)s needs attention") % {"name": connection.name},
        body,
        None,
        recipients,
    )

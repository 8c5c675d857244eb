"""The message thread between a merchant and its account manager."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models.orders import Order
from orders.models.sourcing import SourcingRequest


class Message(models.Model):
    """A message in the thread of an order or of a sourcing request."""

    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    sourcing_request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False, sourcing_request__isnull=True)
                | Q(order__isnull=True, sourcing_request__isnull=False),
                name="message_in_exactly_one_thread",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_required"),
        ]

    def __str__(self) -> str:
        return self.body[:60]

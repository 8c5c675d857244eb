"""Wallet top-ups through a payment gateway, the gateway events and the top-up timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from payments.models.fields import AMOUNT
from payments.models.ledger import LedgerTransaction
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent
from procurement.core.states import Stateful


class TopUp(Stateful, models.Model):
    """Money a merchant sends through a payment gateway into its wallet."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    TRANSITIONS = {
        Status.PENDING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED}),
        # Money the provider confirms after we gave up on it is still the merchant's money.
        Status.FAILED: frozenset({Status.SUCCEEDED}),
        Status.EXPIRED: frozenset({Status.SUCCEEDED}),
        Status.SUCCEEDED: frozenset(),
    }

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="top_ups"
    )
    gateway = models.CharField(_("gateway"), max_length=24)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    provider_reference = models.CharField(
        _("provider reference"), max_length=64, blank=True, db_index=True
    )
    redirect_url = models.URLField(_("payment page"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.OneToOneField(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="top_up",
    )
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="topup_unique_provider_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Top-up')} #{self.pk} {self.amount} {self.currency}"

    @property
    def reference(self) -> str:
        return f"topup:{self.pk}"


class GatewayEvent(models.Model):
    """Every authentic webhook received, once: its provider event id is unique."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored (no change)")
        UNKNOWN_TOP_UP = "unknown_top_up", _("Unknown top-up")
        MISMATCH = "mismatch", _("Amount or currency mismatch")

    provider = models.CharField(_("provider"), max_length=24)
    event_id = models.CharField(_("event id"), max_length=128)
    event_type = models.CharField(_("type"), max_length=64)
    payload = models.JSONField(_("payload"))
    top_up = models.ForeignKey(
        TopUp,
        verbose_name=_("top-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gateway_events",
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    signed_at = models.DateTimeField(_("signed at"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("gateway event")
        verbose_name_plural = _("gateway events")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="gatewayevent_unique_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.event_type})"


class TopUpEvent(StatusEvent):
    """A top-up's timeline: who or what moved it, from which status to which, and why, with the
    gateway event that did it."""

    subject = "top_up"

    top_up = models.ForeignKey(
        TopUp, verbose_name=_("top-up"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=TopUp.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=TopUp.Status.choices)
    gateway_event = models.ForeignKey(
        GatewayEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("top-up event")
        verbose_name_plural = _("top-up events")

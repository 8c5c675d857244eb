"""The kernel's models: the abstract bases every app builds on, the task outbox, and API keys,
idempotent requests and outbound webhooks (their services: `procurement.core.outbox`,
`.apikeys`, `.idempotency`, `.webhooks`)."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.core.phrases import Phrase, phrase_text


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class StatusEvent(models.Model):
    """One change of a status, written by `procurement.core.states`: who, when, from, to and why.

    A subclass adds the foreign key to the object that changed (named by `subject`, with
    `related_name` equal to the object's `STATUS_EVENTS`) and `from_status` / `to_status` with
    the object's choices.
    """

    subject = ""  # the name of the foreign key to the object that changed

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    # How to say `reason` again in the reader's language, when it was written as a phrase.
    reason_key = models.JSONField(
        _("reason, translatable"), default=dict, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.subject}_id')}: {self.from_status} → {self.to_status}"

    def save(self, *args, **kwargs):
        if isinstance(self.reason, Phrase):
            self.reason_key = self.reason.key
            self.reason = str(self.reason)
        super().save(*args, **kwargs)

    def _reason_text(self) -> str:
        """The reason in the reader's language (as written, when it was typed by a person)."""
        return phrase_text(self.reason_key, self.reason)

    _reason_text.short_description = _("reason")
    reason_text = property(_reason_text)


def hash_token(token: str) -> str:
    """What is stored of a secret handed out once (an API key, an invitation link)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Background work: the task outbox ------------------------------------------------------------


class OutboxTask(models.Model):
    """A Celery task written in the transaction of the change that calls for it.

    `procurement.core.outbox` hands it to the broker once that transaction commits;
    `sent_at` stays empty until the broker has accepted it, and the sweeper sends what the
    first try could not. Arguments are primitive ids, never secrets.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweep reads unsent rows, oldest first; partial, so it is only as big as the
            # backlog, not the history.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(sent_at__isnull=True),
                name="outboxtask_unsent_idx",
            ),
            # The purge deletes sent rows past their retention.
            models.Index(fields=["sent_at"], name="outboxtask_sent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task}({', '.join(map(repr, self.args))})"


# --- Integrations: API keys, idempotent API requests, outbound webhooks -------------------------
# They belong to a merchant company, named by the string "accounts.Company": the kernel imports
# nothing from the apps above it.


class ApiScope(models.TextChoices):
    CATALOG_READ = "catalog:read", _("Read the catalog and prices")
    ORDERS_READ = "orders:read", _("Read orders and purchase orders")
    ORDERS_WRITE = "orders:write", _("Place and pay orders")
    WALLET_READ = "wallet:read", _("Read wallet balances and statement")
    LOGISTICS_READ = "logistics:read", _("Read stock, parcels and tracking")
    LOGISTICS_WRITE = "logistics:write", _("Create parcels (dropshipping)")
    SOURCING_READ = "sourcing:read", _("Read sourcing requests and quotes")
    SOURCING_WRITE = "sourcing:write", _("Create sourcing requests and accept quotes")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhook endpoints and their deliveries")


class ApiKey(TimeStampedModel):
    """A bearer token for a company's ERP or shop. Only a hash of the secret is stored; the
    prefix finds the row without comparing every hash."""

    company = models.ForeignKey(
        "accounts.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to an API POST sent with an `Idempotency-Key`, replayed on a retry."""

    company = models.ForeignKey(
        "accounts.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method_path = models.CharField(_("request"), max_length=300)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    response_body = models.JSONField(_("response"), null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="idempotentrequest_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.method_path}"


class WebhookEvent(models.TextChoices):
    ORDER_PAID = "order.paid", _("Order paid")
    PURCHASE_ORDER_EXCEPTION = "purchase_order.exception", _("Purchase order exception")
    GOODS_STOCKED = "goods.stocked", _("Goods stocked")
    PARCEL_SHIPPED = "parcel.shipped", _("Parcel shipped")
    TRACKING_EVENT = "tracking.event", _("Tracking event")
    QUOTE_READY = "quote.ready", _("Quote ready")


class WebhookEndpoint(TimeStampedModel):
    """A URL of the company's that receives the events it chose, signed with its secret."""

    company = models.ForeignKey(
        "accounts.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Needed in clear to sign deliveries; shown to the owner only once, when created.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, tried until it succeeds or runs out of attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    company = models.ForeignKey(
        "accounts.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

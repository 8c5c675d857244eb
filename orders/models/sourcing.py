"""Sourcing requests, the account managers' quotes and their timelines."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    GeneratedName,
    Product,
    Sku,
    Supplier,
    UploadCheck,
)
from orders.models.fields import CNY
from procurement.accounts.models import Company
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


class SourcingRequest(Stateful, TimeStampedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        QUOTED = "quoted", _("Quoted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.SUBMITTED: frozenset({Status.QUOTED, Status.CLOSED}),
        # Quoted again: a new quote supersedes the one sent before.
        Status.QUOTED: frozenset({Status.QUOTED, Status.ACCEPTED, Status.DECLINED, Status.CLOSED}),
        Status.DECLINED: frozenset({Status.QUOTED, Status.CLOSED}),
        Status.ACCEPTED: frozenset(),
        Status.CLOSED: frozenset(),
    }

    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="sourcing_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.SUBMITTED,
        editable=False,
        db_index=True,
    )
    title = models.CharField(_("what you are looking for"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    links = models.JSONField(
        _("product links"),
        default=list,
        blank=True,
        help_text=_("Parsed links: source, site, external id and canonical URL."),
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("catalog product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_quantity = models.PositiveIntegerField(_("target quantity"), null=True, blank=True)
    target_unit_price = models.DecimalField(
        _("target unit price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_currency = models.CharField(_("target price currency"), max_length=3, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True, "is_active": True, "groups__name": ACCOUNT_MANAGERS},
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("sourcing request")
        verbose_name_plural = _("sourcing requests")
        ordering = ["-created_at", "-pk"]
        permissions = [("quote_sourcingrequest", _("Can send quotes for sourcing requests"))]
        indexes = [models.Index(fields=["status", "created_at"], name="sourcing_queue")]

    def __str__(self) -> str:
        return f"SR-{self.pk} {self.title}"


class SourcingPhoto(models.Model):
    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(
        _("photo"),
        upload_to=GeneratedName("orders/sourcing"),
        validators=[UploadCheck(IMAGE_EXTENSIONS, IMAGE_MAX_BYTES)],
    )

    class Meta:
        verbose_name = _("sourcing photo")
        verbose_name_plural = _("sourcing photos")
        ordering = ["request", "pk"]

    def __str__(self) -> str:
        return self.image.name


class SourcingRequestEvent(StatusEvent):
    subject = "request"

    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SourcingRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SourcingRequest.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("sourcing request event")
        verbose_name_plural = _("sourcing request events")


class SourcingQuote(Stateful, TimeStampedModel):
    """An account manager's answer: lines with CNY prices, valid until a date. Drafts are edited
    in the admin; once sent a quote is fixed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Superseded")

    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.SENT}),
        # Superseded: a newer quote for the same request was sent.
        Status.SENT: frozenset({Status.ACCEPTED, Status.DECLINED, Status.SUPERSEDED}),
        Status.ACCEPTED: frozenset(),
        Status.DECLINED: frozenset(),
        Status.SUPERSEDED: frozenset(),
    }

    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="quotes",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note to the merchant"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("sourcing quote")
        verbose_name_plural = _("sourcing quotes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Q-{self.pk}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.valid_until

    @property
    def can_be_sent(self) -> bool:
        return self.can_become(self.Status.SENT)

    @property
    def awaits_decision(self) -> bool:
        """Sent to the merchant, who may accept it (while it is valid) or decline it."""
        return self.can_become(self.Status.ACCEPTED)


class SourcingQuoteEvent(StatusEvent):
    """One change of a quote's status: sent, superseded, accepted or declined."""

    subject = "quote"

    quote = models.ForeignKey(
        SourcingQuote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SourcingQuote.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SourcingQuote.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("sourcing quote event")
        verbose_name_plural = _("sourcing quote events")


class SourcingQuoteLine(models.Model):
    quote = models.ForeignKey(
        SourcingQuote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sku = models.ForeignKey(
        Sku,
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    unit_price_cny = models.DecimalField(_("unit price (CNY)"), **CNY)
    moq = models.PositiveIntegerField(_("minimum order"), default=1)
    quantity = models.PositiveIntegerField(_("quantity quoted"))
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"))

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price_cny__gt=0), name="quoteline_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=models.F("moq")) & Q(moq__gte=1),
                name="quoteline_quantity_at_least_moq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} x {self.quantity}"

    @property
    def line_total_cny(self) -> Decimal:
        return (self.unit_price_cny * self.quantity).quantize(Decimal("0.01"))

"""Parcels, their status timeline, carrier tracking events and freight charges."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.models.channels import ShippingChannel
from logistics.models.measures import CM, CNY, KG
from logistics.models.places import Address, Warehouse
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


class Parcel(Stateful, TimeStampedModel):
    """Stock items consolidated into one shipment to one address by one channel."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PACKING_REQUESTED = "packing_requested", _("Packing requested")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        CUSTOMS_HOLD = "customs_hold", _("Exception: held at customs")
        RETURNED = "returned", _("Exception: returned")
        LOST = "lost", _("Exception: lost")
        CANCELLED = "cancelled", _("Cancelled")

    EXCEPTIONS = frozenset({Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST})
    # Statuses in which the customs declaration may still change; packing locks it.
    DECLARATION_OPEN = frozenset({Status.DRAFT, Status.PACKING_REQUESTED})
    # Statuses in which the carrier has the parcel and tracking events are expected.
    TRACKED = frozenset({Status.SHIPPED, Status.IN_TRANSIT, Status.CUSTOMS_HOLD})
    # The one table of allowed transitions (STYLE.md, State transitions).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.PACKING_REQUESTED, Status.CANCELLED}),
        Status.PACKING_REQUESTED: frozenset({Status.PACKED, Status.DRAFT, Status.CANCELLED}),
        Status.PACKED: frozenset({Status.SHIPPED}),
        Status.SHIPPED: frozenset(
            {Status.IN_TRANSIT, Status.DELIVERED, Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST}
        ),
        Status.IN_TRANSIT: frozenset(
            {Status.DELIVERED, Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST}
        ),
        Status.CUSTOMS_HOLD: frozenset(
            {Status.IN_TRANSIT, Status.DELIVERED, Status.RETURNED, Status.LOST}
        ),
        Status.LOST: frozenset({Status.IN_TRANSIT, Status.DELIVERED}),
        Status.RETURNED: frozenset(),
        Status.DELIVERED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    def refusal_message(self, to: str) -> str:
        # Staff read this on the packing and shipping forms: name the parcel.
        return _("Parcel %(ref)s is %(status)s; it cannot become %(to)s.") % {
            "ref": self.reference,
            "status": self.get_status_display().lower(),
            "to": self.Status(to).label.lower(),
        }

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="parcels"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="parcels"
    )
    destination = models.ForeignKey(
        Address, verbose_name=_("destination"), on_delete=models.PROTECT, related_name="parcels"
    )
    channel = models.ForeignKey(
        ShippingChannel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="parcels"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    currency = models.CharField(_("merchant currency"), max_length=3)
    declared_currency = models.CharField(
        _("currency of the customs declaration"),
        max_length=3,
        blank=True,
        help_text=_("Chosen by the merchant; empty: the wallet currency."),
    )
    insured_value = models.DecimalField(
        _("insured value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    insurance_fee = models.DecimalField(
        _("insurance fee"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Printed on the neutral packing slip of a dropship parcel (copied at the boundary by the
    # layer that made the parcel, e.g. a store order): never prices or supplier names.
    customer_reference = models.CharField(
        _("customer's order number"),
        max_length=40,
        blank=True,
        help_text=_("The order number the end customer knows, printed on the packing slip."),
    )
    brand_name = models.CharField(
        _("brand name on the packing slip"),
        max_length=120,
        blank=True,
        help_text=_("Empty: the brand name of the company's customs profile."),
    )
    # Bumped when what the documents print changes; documents built from an older one are stale.
    documents_version = models.PositiveIntegerField(default=0, editable=False)
    # The tariff frozen when packing was requested: packing prices the real weight with it.
    rate_snapshot = models.JSONField(_("tariff used"), default=dict, blank=True, editable=False)
    estimated_weight_kg = models.DecimalField(_("estimated weight (kg)"), null=True, **KG)
    estimated_chargeable_kg = models.DecimalField(
        _("estimated chargeable weight (kg)"), null=True, **KG
    )
    estimated_freight_cny = models.DecimalField(_("estimated freight (CNY)"), null=True, **CNY)
    estimated_freight = models.DecimalField(
        _("estimated freight"), max_digits=14, decimal_places=3, null=True
    )
    actual_weight_kg = models.DecimalField(_("packed weight (kg)"), null=True, blank=True, **KG)
    length_cm = models.DecimalField(_("packed length (cm)"), null=True, blank=True, **CM)
    width_cm = models.DecimalField(_("packed width (cm)"), null=True, blank=True, **CM)
    height_cm = models.DecimalField(_("packed height (cm)"), null=True, blank=True, **CM)
    actual_chargeable_kg = models.DecimalField(
        _("packed chargeable weight (kg)"), null=True, blank=True, **KG
    )
    actual_freight_cny = models.DecimalField(
        _("actual freight (CNY)"), null=True, blank=True, **CNY
    )
    actual_freight = models.DecimalField(
        _("actual freight"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    tracking_registered_at = models.DateTimeField(null=True, blank=True, editable=False)
    tracking_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("pack_parcel", _("Can pack parcels (record weight and size)")),
            ("ship_parcel", _("Can ship parcels (record the tracking number)")),
        ]
        indexes = [
            models.Index(fields=["company", "status"], name="parcel_company_status"),
            models.Index(fields=["tracking_number"], name="parcel_tracking_number"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="parcel_unique_tracking_number_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"P{self.pk:06d}" if self.pk else "P-new"

    @property
    def is_dropship(self) -> bool:
        """Sent straight to the merchant's customer: it travels with a neutral packing slip."""
        return self.destination.kind == Address.Kind.END_CUSTOMER

    @property
    def declaration_currency(self) -> str:
        return self.declared_currency or self.currency

    @property
    def is_exception(self) -> bool:
        return self.status in self.EXCEPTIONS

    @property
    def freight_difference_cny(self) -> Decimal | None:
        if self.actual_freight_cny is None or self.estimated_freight_cny is None:
            return None
        return self.actual_freight_cny - self.estimated_freight_cny

    @property
    def freight_difference(self) -> Decimal | None:
        if self.actual_freight is None or self.estimated_freight is None:
            return None
        return self.actual_freight - self.estimated_freight


class ParcelEvent(StatusEvent):
    """One step of a parcel: who moved it, when, from which status to which, and why."""

    subject = "parcel"

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Parcel.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Parcel.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("parcel event")
        verbose_name_plural = _("parcel events")
        ordering = ["parcel", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.parcel}: {self.from_status} → {self.to_status}"

    @property
    def note(self) -> str:
        """The API's name for the reason (`events[].note` in the parcel detail)."""
        return self.reason


class TrackingEvent(models.Model):
    """A carrier scan received by webhook or polling; unique per provider and event id.

    `stage` and `sub_status` keep the provider's own words (17TRACK's vocabularies) beside our
    `kind`; `kind_source` says which of them (or the description) gave the kind. A scan none of
    them explains is kept as `other` with its raw text, never dropped.
    """

    class Kind(models.TextChoices):
        INFO = "info", _("Information received")
        IN_TRANSIT = "in_transit", _("In transit")
        AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Available for pickup")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        FAILED_ATTEMPT = "failed_attempt", _("Delivery attempt failed")
        CUSTOMS_HOLD = "customs_hold", _("Held at customs")
        RETURNING = "returning", _("Being returned")
        RETURNED = "returned", _("Returned")
        LOST = "lost", _("Lost")
        EXCEPTION = "exception", _("Exception")
        OTHER = "other", _("Unknown (raw text kept)")

    class KindSource(models.TextChoices):
        STAGE = "stage", _("Stage")
        SUB_STATUS = "sub_status", _("Sub-status")
        DESCRIPTION = "description", _("Description")
        PROVIDER = "provider", _("Provider's own kind")
        NONE = "", _("Not recognised")

    # Kinds that tell the merchant something went wrong; each is mailed once per parcel.
    ALERT_KINDS = frozenset(
        {
            Kind.FAILED_ATTEMPT,
            Kind.CUSTOMS_HOLD,
            Kind.RETURNING,
            Kind.RETURNED,
            Kind.LOST,
            Kind.EXCEPTION,
        }
    )

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="tracking_events")
    provider = models.CharField(_("provider"), max_length=16)
    external_id = models.CharField(_("event id"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    kind_source = models.CharField(
        _("kind from"), max_length=12, choices=KindSource.choices, blank=True, default=""
    )
    stage = models.CharField(_("provider stage"), max_length=40, blank=True, default="")
    sub_status = models.CharField(_("provider sub-status"), max_length=60, blank=True, default="")
    occurred_at = models.DateTimeField(_("when"))
    description = models.CharField(_("description"), max_length=300)
    location = models.CharField(_("location"), max_length=160, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["parcel", "-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="trackingevent_unique_provider_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parcel}: {self.description}"


class TrackingAlert(models.Model):
    """The merchant was told about an exception kind on a parcel: one row, one mail, however
    often the carrier repeats the scan or the parcel re-enters the state."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="tracking_alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=TrackingEvent.Kind.choices)
    event = models.ForeignKey(TrackingEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("notified"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking alert")
        verbose_name_plural = _("tracking alerts")
        constraints = [
            models.UniqueConstraint(fields=["parcel", "kind"], name="trackingalert_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.parcel}: {self.kind}"


class FreightCharge(models.Model):
    """What a parcel's freight costs the merchant: the estimate, then the packed difference.

    One row per step, unique by key, so settling twice records nothing new. `amount` is in the
    merchant's currency: the display estimate until settled, then what the wallet actually paid
    (positive) or got back (negative). `ledger_reference` stays empty until the payments ledger
    has taken the amount.
    """

    class Kind(models.TextChoices):
        ESTIMATE = "estimate", _("Estimated freight")
        ADJUSTMENT = "adjustment", _("Difference after packing")
        INSURANCE = "insurance", _("Insurance")
        REFUND = "refund", _("Refund on cancellation")

    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), **CNY)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3, null=True)
    currency = models.CharField(_("currency"), max_length=3)
    refund_of = models.ForeignKey(
        "self",
        verbose_name=_("refund of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )
    ledger_reference = models.CharField(
        _("ledger transaction"),
        max_length=64,
        blank=True,
        help_text=_('Empty: not settled yet. "void": dropped before it was ever settled.'),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("freight charge")
        verbose_name_plural = _("freight charges")
        ordering = ["parcel", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.parcel} {self.get_kind_display()}: {self.amount_cny} CNY"

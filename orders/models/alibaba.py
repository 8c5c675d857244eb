"""Purchase orders on the 1688 open platform: the passage of each through 1688's trade API and
every request and answer exchanged (secrets masked)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models.fields import CNY
from orders.models.purchasing import PurchaseOrder
from procurement.core.models import TimeStampedModel
from procurement.core.states import Stateful


class AlibabaOrder(Stateful, TimeStampedModel):
    """A purchase order's passage through 1688's trade API: its preview, the order(s) 1688
    created for it and what went wrong last. One per purchase order; the purchase order's own
    status moves only through the purchasing services once 1688 has answered."""

    class Status(models.TextChoices):
        NEW = "new", _("Not sent to 1688")
        PREVIEWING = "previewing", _("Preview requested")
        PREVIEWED = "previewed", _("Previewed")
        PLACING = "placing", _("Placing on 1688")
        PLACED = "placed", _("Placed on 1688")
        FAILED = "failed", _("Refused or failed: nothing was ordered")
        UNKNOWN = "unknown", _("No answer: 1688 may have created the order")
        CREATED = "created", _("Created on 1688, not recorded here")
        PARTIAL = "partial", _("Partly created on 1688: cancel it or place the rest")
        CANCELLING = "cancelling", _("Cancelling the part created on 1688")
        COMPLETING = "completing", _("Placing the missing part on 1688")

    RETRYABLE = frozenset({Status.FAILED, Status.UNKNOWN, Status.CREATED})
    _AGAIN = frozenset({Status.PREVIEWING, Status.PLACING})
    TRANSITIONS = {
        Status.NEW: _AGAIN,
        Status.PREVIEWING: frozenset({Status.PREVIEWED, Status.FAILED}),
        Status.PREVIEWED: _AGAIN,
        Status.PLACING: frozenset(
            {Status.PLACED, Status.FAILED, Status.UNKNOWN, Status.CREATED, Status.PARTIAL}
        ),
        # After a refusal, a preview may come first; after an unknown outcome or an order not
        # recorded, only placing again (which first looks for the order, or records it).
        Status.FAILED: _AGAIN,
        Status.UNKNOWN: frozenset({Status.PLACING}),
        Status.CREATED: frozenset({Status.PLACING}),
        Status.PLACED: frozenset(),
        # Part of the order made on 1688, part refused: cancel the part made (nothing is then
        # ordered, and a new placement gets a new outOrderId) or place the rest.
        Status.PARTIAL: frozenset({Status.CANCELLING, Status.COMPLETING}),
        Status.CANCELLING: frozenset({Status.FAILED, Status.PARTIAL}),
        Status.COMPLETING: frozenset({Status.PLACED, Status.PARTIAL}),
    }
    STATUS_EVENTS = None  # its outcomes are written on the purchase order's timeline

    purchase_order = models.OneToOneField(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="alibaba",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, editable=False
    )
    out_order_id = models.CharField(_("outside order id sent to 1688"), max_length=64, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handling = models.CharField(_("price difference handling"), max_length=8, blank=True)
    preview = models.JSONField(_("last preview"), default=dict, blank=True)
    order_ids = models.JSONField(_("1688 order numbers"), default=list, blank=True)
    goods_total_cny = models.DecimalField(
        _("goods total on 1688 (CNY)"), null=True, blank=True, **CNY
    )
    freight_cny = models.DecimalField(_("freight on 1688 (CNY)"), null=True, blank=True, **CNY)
    error_code = models.CharField(_("last error code"), max_length=64, blank=True)
    error_message = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveIntegerField(_("placing attempts"), default=0)
    # Set when a try's outcome is unknown (no answer): the next try first reads the buyer's
    # order list from then on for an order under the same outOrderId.
    look_up_since = models.DateTimeField(
        _("look for an unconfirmed order placed since"), null=True, blank=True
    )
    failed_offers = models.JSONField(
        _("offers 1688 refused in a partial split"), default=list, blank=True
    )
    cancelled_order_ids = models.JSONField(
        _("1688 orders cancelled from here"), default=list, blank=True
    )
    parcels = models.JSONField(_("domestic parcels and their traces"), default=list, blank=True)
    traced_at = models.DateTimeField(_("last trace read from 1688"), null=True, blank=True)
    trade_status = models.CharField(_("status on 1688"), max_length=32, blank=True)
    carrier = models.CharField(_("domestic carrier"), max_length=100, blank=True)
    synced_at = models.DateTimeField(_("last read from 1688"), null=True, blank=True)

    class Meta:
        verbose_name = _("1688 order")
        verbose_name_plural = _("1688 orders")

    def __str__(self) -> str:
        return self.out_order_id

    @property
    def may_preview(self) -> bool:
        return self.can_become(self.Status.PREVIEWING)

    @property
    def may_place(self) -> bool:
        return self.can_become(self.Status.PLACING)

    @property
    def rest_out_order_id(self) -> str:
        """The outOrderId of the next try at the missing part of a partial split: the same on
        every retry until 1688 makes another order, so a retry never orders the rest twice."""
        return f"{self.out_order_id}-rest{len(self.order_ids)}"

    @property
    def latest_parcel(self) -> dict | None:
        return self.parcels[-1] if self.parcels else None


class AlibabaCall(models.Model):
    """One request to the 1688 open platform and its answer, secrets masked, kept for staff to
    see what was sent and what came back."""

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alibaba_calls",
    )
    api = models.CharField(_("API"), max_length=80)
    request = models.JSONField(_("request (secrets masked)"), default=dict)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("1688 call")
        verbose_name_plural = _("1688 calls")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.api} {self.http_status or self.error_code}"

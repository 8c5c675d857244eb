"""Supplier payables and the payout batches that settle them in CNY."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from payments.models.fields import AMOUNT
from payments.models.ledger import LedgerTransaction
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent
from procurement.core.states import Stateful

# Supplier payables and payout batches.
#
# A purchase order lives in `orders`, above this app: it is known here only by its reference
# ("po:7") and the data copied when it was placed (payee, amount). See payments.payouts.


class SupplierPayable(Stateful, models.Model):
    """What the platform owes a supplier in CNY for one placed purchase order.

    The `*_labels` fields are what its three references read when it was recorded, in each
    language of the site (the purchase order, the order number, the supplier's name; empty
    where a reference named no object), kept as written: a supplier renamed later still reads,
    on this payable, as it was named.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        BATCHED = "batched", _("In a payout batch")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.OPEN: frozenset({Status.BATCHED, Status.CANCELLED}),
        # Back to open when its batch is cancelled or it is taken out of a draft batch.
        Status.BATCHED: frozenset({Status.PAID, Status.OPEN}),
        Status.PAID: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    reference = models.CharField(
        _("purchase order"), max_length=64, unique=True, help_text=_('For example "po:7".')
    )
    order_reference = models.CharField(_("order"), max_length=64, db_index=True)
    company = models.ForeignKey(
        Company, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="+"
    )
    supplier_reference = models.CharField(_("supplier"), max_length=64, db_index=True)
    reference_labels = models.JSONField(_("purchase order labels"), blank=True, default=dict)
    order_labels = models.JSONField(_("order labels"), blank=True, default=dict)
    supplier_labels = models.JSONField(_("supplier labels"), blank=True, default=dict)
    payee_name = models.CharField(_("payee name"), max_length=200)
    payee_account = models.CharField(_("payee account"), max_length=64)
    payee_bank = models.CharField(_("payee bank"), max_length=200)
    amount_cny = models.DecimalField(_("amount (CNY)"), **AMOUNT)
    freight_cny = models.DecimalField(
        _("domestic freight (CNY)"),
        default=0,
        help_text=_("The part of the amount that is the supplier's domestic freight."),
        **AMOUNT,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    placed_at = models.DateTimeField(_("placed"), db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("supplier payable")
        verbose_name_plural = _("supplier payables")
        ordering = ["placed_at", "pk"]
        permissions = [
            ("view_finance_reports", _("Can see finance reports, payouts and exports")),
            ("manage_payouts", _("Can build, export and pay supplier payout batches")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cny__gt=0), name="payable_amount_positive"),
            models.CheckConstraint(
                condition=Q(freight_cny__gte=0) & Q(freight_cny__lte=models.F("amount_cny")),
                name="payable_freight_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False)
                | (~Q(status="paid") & Q(paid_at__isnull=True)),
                name="payable_paid_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.payee_name} · {self.amount_cny} CNY"


class SupplierPayableEvent(StatusEvent):
    """A payable's timeline: recorded, adjusted (from and to the same status, with the amount
    before and after), batched, released, paid, cancelled."""

    subject = "payable"

    payable = models.ForeignKey(
        SupplierPayable, verbose_name=_("payable"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SupplierPayable.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SupplierPayable.Status.choices)
    amount_before = models.DecimalField(_("amount before"), null=True, blank=True, **AMOUNT)
    amount_after = models.DecimalField(_("amount after"), null=True, blank=True, **AMOUNT)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("supplier payable event")
        verbose_name_plural = _("supplier payable events")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payableevent_unique_key",
            ),
        ]


class PayoutBatch(Stateful, models.Model):
    """Payables paid together by one bank upload. Frozen once exported."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        EXPORTED = "exported", _("Exported to the bank")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.EXPORTED, Status.CANCELLED}),
        Status.EXPORTED: frozenset({Status.PAID, Status.CANCELLED}),
        Status.PAID: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    supplier_reference = models.CharField(
        _("supplier"), max_length=64, blank=True, help_text=_("Empty: every supplier.")
    )
    placed_from = models.DateField(_("placed from"), null=True, blank=True)
    placed_to = models.DateField(_("placed to"), null=True, blank=True)
    total_cny = models.DecimalField(_("total (CNY)"), default=0, **AMOUNT)
    transaction = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_batch",
    )
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total_cny__gte=0), name="payoutbatch_total_sane"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(transaction__isnull=False),
                name="payoutbatch_paid_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Payout batch')} #{self.pk}"

    @property
    def reference(self) -> str:
        return f"payout:{self.pk}"


class PayoutLine(models.Model):
    """One payable in one batch. `active` is cleared when the batch is cancelled or the line
    removed; the database allows one active line per payable, so a payable is paid once."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="lines"
    )
    payable = models.ForeignKey(
        SupplierPayable,
        verbose_name=_("payable"),
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    amount_cny = models.DecimalField(_("amount (CNY)"), **AMOUNT)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payable"], condition=Q(active=True), name="payoutline_payable_once"
            ),
            models.CheckConstraint(condition=Q(amount_cny__gt=0), name="payoutline_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.payable.reference}"


class PayoutBatchEvent(StatusEvent):
    """A payout batch's timeline: built, exported, paid (with the bank's reference), cancelled."""

    subject = "batch"

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=PayoutBatch.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=PayoutBatch.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("payout batch event")
        verbose_name_plural = _("payout batch events")

"""Payments: FX rates and quotes, the double-entry ledger, wallets, fees and gateway top-ups.

Amounts are `Decimal` with a separate three-letter currency column rather than django-money's
MoneyField: the ledger sums postings per currency in SQL (and in a PostgreSQL trigger), which a
plain decimal column keeps simple. Rounding follows `payments.money`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.accounts.models import Company
from procurement.core.models import StatusEvent
from procurement.core.states import Stateful

AMOUNT = {"max_digits": 20, "decimal_places": 4}
RATE = {"max_digits": 20, "decimal_places": 10}


class FxRate(models.Model):
    """One observed rate: 1 `base` = `rate` `quote`. Append-only history; never updated."""

    class Source(models.TextChoices):
        ECB = "ecb", _("ECB daily reference")
        MANUAL = "manual", _("Manual entry by finance")
        SEED = "seed", _("Seeded for development")

    base = models.CharField(_("base currency"), max_length=3)
    quote = models.CharField(_("quote currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    as_of = models.DateTimeField(_("as of"), db_index=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        ordering = ["-as_of", "-pk"]
        indexes = [models.Index(fields=["base", "quote", "-as_of"], name="fxrate_pair_latest")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_rate_positive"),
            models.UniqueConstraint(
                fields=["base", "quote", "source", "as_of"], name="fxrate_unique_observation"
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.as_of:%Y-%m-%d})"


class FxMarkup(models.Model):
    """The markup over the mid rate charged when a merchant pays from a wallet in `currency`.

    Shown to the merchant on every quote. Currencies without a row use the
    FX_DEFAULT_MARKUP_BPS setting.
    """

    currency = models.CharField(_("wallet currency"), max_length=3, unique=True)
    markup_bps = models.PositiveIntegerField(
        _("markup (basis points)"), help_text=_("100 basis points = 1%.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("FX markup")
        verbose_name_plural = _("FX markups")
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(
                condition=Q(markup_bps__lte=2000), name="fxmarkup_at_most_20_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency}: {self.markup_bps} bps"


class FxQuote(Stateful, models.Model):
    """A locked exchange: `amount` of `to_currency` bought for `charge_amount` of `from_currency`.

    Stores everything needed to explain and replay the price: the mid rate and its age, the
    markup, the client rate, and (for checkouts) the service fee. Single use; expires.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        USED = "used", _("Used")

    TRANSITIONS = {Status.OPEN: frozenset({Status.USED}), Status.USED: frozenset()}
    STATUS_EVENTS = None  # the charge it paid for is its record

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="fx_quotes"
    )
    from_currency = models.CharField(_("pay in"), max_length=3)
    to_currency = models.CharField(_("buy"), max_length=3)
    amount = models.DecimalField(_("amount bought"), **AMOUNT)
    mid_rate = models.DecimalField(_("mid rate"), **RATE)
    rate_as_of = models.DateTimeField(_("rate as of"))
    markup_bps = models.PositiveIntegerField(_("markup (basis points)"))
    client_rate = models.DecimalField(_("your rate"), **RATE)
    charge_amount = models.DecimalField(_("amount charged"), **AMOUNT)
    markup_amount = models.DecimalField(_("markup in the charge"), **AMOUNT)
    amount_usd = models.DecimalField(_("USD equivalent"), **AMOUNT)
    fee_bps = models.PositiveIntegerField(_("fee (basis points)"), default=0)
    fee_amount = models.DecimalField(_("service fee"), default=0, **AMOUNT)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("FX quote")
        verbose_name_plural = _("FX quotes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fxquote_amount_positive"),
            models.CheckConstraint(condition=Q(mid_rate__gt=0), name="fxquote_mid_positive"),
            models.CheckConstraint(condition=Q(client_rate__gt=0), name="fxquote_client_positive"),
            models.CheckConstraint(
                condition=Q(status="open", used_at__isnull=True)
                | Q(status="used", used_at__isnull=False),
                name="fxquote_used_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_amount} {self.from_currency} → {self.amount} {self.to_currency}"

    @property
    def total_charge(self):
        return self.charge_amount + self.fee_amount

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class FeeSchedule(models.Model):
    """One version of the service fee schedule. New versions are added, never edited once in
    force: the version in force at a moment is the latest whose `effective_from` has passed."""

    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    minimum_fee_usd = models.DecimalField(
        _("minimum fee per order (USD)"), max_digits=12, decimal_places=2
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_fee_usd__gte=0), name="feeschedule_minimum_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Fee schedule')} {self.effective_from:%Y-%m-%d %H:%M}"

    @property
    def is_in_force_or_past(self) -> bool:
        return self.pk is not None and self.effective_from <= timezone.now()


class FeeTier(models.Model):
    """A tier: from `volume_from_usd` of trailing-30-day paid volume, the fee is `rate_bps`."""

    schedule = models.ForeignKey(
        FeeSchedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="tiers"
    )
    volume_from_usd = models.DecimalField(
        _("from 30-day volume (USD)"), max_digits=14, decimal_places=2
    )
    rate_bps = models.PositiveIntegerField(
        _("fee (basis points)"), help_text=_("100 basis points = 1%.")
    )

    class Meta:
        verbose_name = _("fee tier")
        verbose_name_plural = _("fee tiers")
        ordering = ["schedule", "volume_from_usd"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "volume_from_usd"], name="feetier_unique_floor"
            ),
            models.CheckConstraint(
                condition=Q(volume_from_usd__gte=0), name="feetier_floor_not_negative"
            ),
            models.CheckConstraint(condition=Q(rate_bps__lte=5000), name="feetier_rate_sane"),
        ]

    def __str__(self) -> str:
        return f"≥ {self.volume_from_usd} USD: {self.rate_bps} bps"


class Account(models.Model):
    """A ledger account: a company's wallet in one currency, or one of the platform's accounts.

    Amounts are credit-positive: a positive balance is what the platform owes (wallets, supplier
    payable) or has earned (fee and logistics revenue); what is owed to the platform (gateway
    clearing) runs negative. `balance` caches the sum of the account's postings, maintained under
    the row lock by the services.
    """

    class Kind(models.TextChoices):
        WALLET = "wallet", _("Merchant wallet")
        GATEWAY_CLEARING = "gateway_clearing", _("Gateway clearing")
        FX_POSITION = "fx_position", _("FX position")
        FEE_REVENUE = "fee_revenue", _("Service fee revenue")
        SUPPLIER_PAYABLE = "supplier_payable", _("Supplier payable")
        LOGISTICS_REVENUE = "logistics_revenue", _("Logistics revenue")
        REFUNDS = "refunds", _("Refunds and goodwill")
        ADJUSTMENTS = "adjustments", _("Manual adjustments")
        PAYOUT_BANK = "payout_bank", _("Payout bank (supplier transfers leave from it)")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    currency = models.CharField(_("currency"), max_length=3)
    balance = models.DecimalField(_("balance"), default=0, **AMOUNT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["kind", "currency", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "company", "currency"],
                condition=Q(company__isnull=False),
                name="account_unique_company_kind_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(company__isnull=True),
                name="account_unique_platform_kind_currency",
            ),
            models.CheckConstraint(
                condition=Q(kind="wallet", company__isnull=False)
                | (~Q(kind="wallet") & Q(company__isnull=True)),
                name="account_wallet_has_company",
            ),
            models.CheckConstraint(
                condition=~Q(kind="wallet") | Q(balance__gte=0),
                name="account_wallet_not_negative",
                violation_error_message=_("A wallet balance cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        if self.company_id:
            return f"{self.get_kind_display()} {self.currency} · {self.company}"
        return f"{self.get_kind_display()} {self.currency}"


class LedgerTransaction(models.Model):
    """A balanced set of postings. Immutable: a correction is a new transaction."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        CHECKOUT = "checkout", _("Checkout")
        REFUND = "refund", _("Refund")
        PRICE_DIFFERENCE = "price_difference", _("Price difference")
        LOGISTICS = "logistics", _("Logistics charge")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        SUPPLIER_PAYOUT = "supplier_payout", _("Supplier payout")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    reference = models.CharField(
        _("reference"), max_length=64, db_index=True, help_text=_('What caused it: "order:12".')
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quote = models.OneToOneField(
        FxQuote,
        verbose_name=_("FX quote"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transaction",
    )
    related = models.ForeignKey(
        "self",
        verbose_name=_("related transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        help_text=_("The charge this transaction refunds or corrects."),
    )
    volume_usd = models.DecimalField(
        _("paid volume (USD)"),
        default=0,
        help_text=_("Counts towards the company's 30-day volume for fee tiers."),
        **AMOUNT,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-pk"]
        permissions = [("adjust_wallet", _("Can make manual wallet adjustments"))]
        indexes = [
            models.Index(fields=["company", "kind", "created_at"], name="ledgertx_company_kind"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.reference}"


class Posting(models.Model):
    """One line of a transaction: `amount` (signed, credit-positive) on `account`."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="postings"
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)
    balance_after = models.DecimalField(_("balance after"), **AMOUNT)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["pk"]
        indexes = [models.Index(fields=["account", "id"], name="posting_account_order")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount:+} {self.currency}"


class WalletAdjustment(models.Model):
    """A manual adjustment by finance, with its mandatory reason; the money moves in
    `transaction`."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(
        _("amount"),
        help_text=_("Positive credits the wallet; negative debits it."),
        **AMOUNT,
    )
    reason = models.TextField(_("reason"))
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="adjustment"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet adjustment")
        verbose_name_plural = _("wallet adjustments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.amount:+} {self.currency}"


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


# --- Finance: supplier payables, payout batches, exports (issue 7) --------------------------------
#
# A purchase order lives in `orders`, above this app: it is known here only by its reference
# ("po:7") and the data copied when it was placed (payee, amount). See payments.payouts.


class SupplierPayable(Stateful, models.Model):
    """What the platform owes a supplier in CNY for one placed purchase order."""

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


class ExportJob(Stateful, models.Model):
    """A report file built in the background (the `exports` queue) and kept for a while."""

    class Kind(models.TextChoices):
        SETTLEMENT_XLSX = "settlement_xlsx", _("Settlement report (XLSX)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.QUEUED: frozenset({Status.RUNNING}),
        Status.RUNNING: frozenset({Status.SUCCEEDED, Status.FAILED}),
        # Built again: after a failure, or once the file expired (the service checks which).
        Status.SUCCEEDED: frozenset({Status.QUEUED}),
        Status.FAILED: frozenset({Status.QUEUED}),
    }
    STATUS_EVENTS = None  # its attempts, error and times are its record

    kind = models.CharField(_("report"), max_length=24, choices=Kind.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to (inclusive)"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_written = models.PositiveBigIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="finance-exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="exportjob_progress_pct"),
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")), name="exportjob_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date_from} to {self.date_to}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

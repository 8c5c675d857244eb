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


class FxQuote(models.Model):
    """A locked exchange: `amount` of `to_currency` bought for `charge_amount` of `from_currency`.

    Stores everything needed to explain and replay the price: the mid rate and its age, the
    markup, the client rate, and (for checkouts) the service fee. Single use; expires.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        USED = "used", _("Used")

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


class TopUp(models.Model):
    """Money a merchant sends through a payment gateway into its wallet."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

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


class TopUpEvent(models.Model):
    """A top-up's timeline: who or what moved it, from which status to which, and why."""

    top_up = models.ForeignKey(
        TopUp, verbose_name=_("top-up"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=TopUp.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=TopUp.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    gateway_event = models.ForeignKey(
        GatewayEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("top-up event")
        verbose_name_plural = _("top-up events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.top_up_id}: {self.from_status} → {self.to_status}"

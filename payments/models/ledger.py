"""The double-entry ledger: accounts, transactions, postings and finance adjustments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models.fields import AMOUNT
from payments.models.fx import FxQuote
from procurement.accounts.models import Company


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
    """A balanced set of postings. Immutable: a correction is a new transaction.

    `reference_labels` is what the reference read when the transaction was written, in each
    language of the site, kept as written (procurement.core.references.labels_to_store): an
    order renumbered or a supplier renamed later does not change what a settlement says
    happened.
    """

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
    reference_labels = models.JSONField(
        _("reference labels"),
        blank=True,
        default=dict,
        help_text=_(
            "What the reference read when the transaction was written (the order number, the "
            "supplier's name), per language; empty when it named no object."
        ),
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

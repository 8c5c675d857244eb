"""FX rates, the disclosed markups and locked quotes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models.fields import AMOUNT, RATE
from procurement.accounts.models import Company
from procurement.core.states import Stateful


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

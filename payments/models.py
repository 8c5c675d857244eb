"""Payments: FX rate history (more models: ledger, wallets, quotes, fees, top-ups)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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

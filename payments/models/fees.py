"""The service-fee schedule and its volume tiers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

"""Shipping channels, their rules (restricted goods) and rate tables per zone."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from logistics.models.measures import CNY, KG, POSITIVE
from procurement.core.hazards import HazardListField
from procurement.core.models import TimeStampedModel


class ShippingChannel(TimeStampedModel):
    """A way to send parcels: one carrier product with its rules and rate tables per zone."""

    class Service(models.TextChoices):
        AIR_EXPRESS = "air_express", _("Air express")
        AIR_FREIGHT = "air_freight", _("Air freight")
        SEA = "sea", _("Sea freight")
        RAIL = "rail", _("Rail freight")
        DOMESTIC = "domestic", _("Domestic delivery in China")

    class Divisor(models.IntegerChoices):
        D5000 = 5000, "5000"
        D6000 = 6000, "6000"
        D8000 = 8000, "8000"

    class Tracking(models.TextChoices):
        SANDBOX = "sandbox", _("Sandbox carrier")
        AGGREGATOR = "aggregator", _("Tracking aggregator")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    carrier = models.CharField(_("carrier"), max_length=80)
    name = models.CharField(_("name"), max_length=120)
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    countries = CountryField(_("countries served"), multiple=True, blank=True)
    volumetric_divisor = models.PositiveIntegerField(
        _("volumetric divisor"),
        choices=Divisor.choices,
        default=Divisor.D6000,
        help_text=_("Volumetric weight in kg = length x width x height in cm / divisor."),
    )
    accepted_hazards = HazardListField(
        _("accepted hazards"),
        help_text=_("Goods with any other hazard are refused on this channel."),
    )
    needs_declaration = models.BooleanField(
        _("customs declaration needed"),
        default=True,
        help_text=_(
            "Parcels are packed only when every declaration line has an HS code and a value."
        ),
    )
    is_postal = models.BooleanField(
        _("postal channel"),
        default=False,
        help_text=_("Postal parcels travel with a CN23 customs declaration."),
    )
    max_box_weight_kg = models.DecimalField(
        _("maximum weight of one box (kg)"),
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text=_("The carrier's limit per piece; empty: the rate zone's maximum weight."),
        **KG,
    )
    transit_days_min = models.PositiveSmallIntegerField(_("transit days (from)"))
    transit_days_max = models.PositiveSmallIntegerField(_("transit days (to)"))
    tracking = models.CharField(
        _("tracking source"), max_length=16, choices=Tracking.choices, default=Tracking.SANDBOX
    )
    carrier_code = models.CharField(
        _("carrier code at the tracking aggregator"), max_length=20, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shipping channel")
        verbose_name_plural = _("shipping channels")
        ordering = ["service", "carrier", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(transit_days_min__lte=models.F("transit_days_max")),
                name="channel_transit_days_ordered",
                violation_error_message=_("The shortest transit time cannot exceed the longest."),
            ),
            models.CheckConstraint(
                condition=Q(volumetric_divisor__in=[5000, 6000, 8000]),
                name="channel_divisor_known",
            ),
        ]

    def __str__(self) -> str:
        # "DHL Express Worldwide" already names its carrier: not "DHL DHL Express Worldwide".
        if self.name.casefold().startswith(self.carrier.casefold()):
            return self.name
        return f"{self.carrier} {self.name}"

    def refused_hazards(self, hazards: Iterable[str]) -> list[str]:
        """The one rule of restricted goods: what of `hazards` this channel does not carry.
        Parcel creation, packing, the channel comparison and the checkout estimate all ask it
        (through `logistics.rates.quote_channel`)."""
        accepted = set(self.accepted_hazards or ())
        return sorted(set(hazards) - accepted)

    @property
    def country_codes(self) -> frozenset[str]:
        return frozenset(country.code for country in self.countries)


class RateZone(models.Model):
    """A channel's rate table for a set of destination countries (one zone)."""

    channel = models.ForeignKey(
        ShippingChannel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("zone"), max_length=60)
    countries = CountryField(_("countries"), multiple=True)
    first_weight_kg = models.DecimalField(_("first weight (kg)"), validators=POSITIVE, **KG)
    first_price_cny = models.DecimalField(_("first weight price (CNY)"), **CNY)
    additional_unit_kg = models.DecimalField(
        _("additional weight unit (kg)"), validators=POSITIVE, **KG
    )
    additional_price_cny = models.DecimalField(_("price per additional unit (CNY)"), **CNY)
    max_weight_kg = models.DecimalField(_("maximum weight (kg)"), validators=POSITIVE, **KG)

    class Meta:
        verbose_name = _("rate zone")
        verbose_name_plural = _("rate zones")
        ordering = ["channel", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_weight_kg__gt=0)
                & Q(additional_unit_kg__gt=0)
                & Q(first_price_cny__gte=0)
                & Q(additional_price_cny__gte=0),
                name="ratezone_weights_positive_prices_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_weight_kg__gte=models.F("first_weight_kg")),
                name="ratezone_max_at_least_first",
                violation_error_message=_("The maximum weight must be at least the first weight."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.name}"

    def clean(self):
        if not self.channel_id:
            return
        served = self.channel.country_codes
        mine = {country.code for country in self.countries}
        missing = sorted(mine - served)
        if missing:
            raise ValidationError(
                {
                    "countries": _("The channel does not serve: %(codes)s.")
                    % {"codes": ", ".join(missing)}
                }
            )

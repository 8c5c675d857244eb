"""Customs: thresholds per destination, merchants' customs numbers, declaration lines and boxes
of outbound parcels, and the documents printed for them."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from logistics.models.measures import CM, KG, POSITIVE
from logistics.models.parcels import Parcel
from procurement.accounts.models import Company
from procurement.core.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class CustomsThreshold(TimeStampedModel):
    """A value limit that matters to a destination's customs, as staff keep it, with where it
    comes from: the EU's IOSS limit, the UK's low-value rule, the United States' de minimis."""

    class Number(models.TextChoices):
        NONE = "", _("none")
        IOSS = "ioss", _("IOSS number")
        VAT = "vat", _("VAT number")
        EORI = "eori", _("EORI number")

    name = models.CharField(_("name"), max_length=80)
    countries = CountryField(_("destinations"), multiple=True)
    amount = models.DecimalField(_("threshold"), validators=[MinValueValidator(0)], **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    number_needed = models.CharField(
        _("number needed at or below it"),
        max_length=8,
        choices=Number.choices,
        blank=True,
        help_text=_("The merchant's number the carrier needs for parcels up to the threshold."),
    )
    rule = models.TextField(_("what it means"))
    source_title = models.CharField(_("source"), max_length=200)
    source_url = models.URLField(_("source address"), max_length=500)
    effective_from = models.DateField(_("in force since"))
    checked_on = models.DateField(_("last checked"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("customs threshold")
        verbose_name_plural = _("customs thresholds")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} {self.currency}"


class CustomsProfile(TimeStampedModel):
    """A merchant company's customs numbers and importer of record.

    Kept in logistics, beside the parcels that use them, rather than on `Company`: the accounts
    app sits below logistics and knows nothing of customs, and only companies that ship abroad
    need these."""

    company = models.OneToOneField(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="customs"
    )
    ioss_number = models.CharField(
        _("IOSS number"),
        max_length=12,
        blank=True,
        help_text=_("EU Import One-Stop Shop: IM followed by ten digits."),
    )
    eori_number = models.CharField(_("EORI number"), max_length=17, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    importer_name = models.CharField(_("importer of record"), max_length=200, blank=True)
    importer_address = models.TextField(_("importer's address"), blank=True)
    brand_name = models.CharField(
        _("brand name on packing slips"),
        max_length=120,
        blank=True,
        help_text=_("Dropship parcels carry this name, never ours or the supplier's."),
    )

    class Meta:
        verbose_name = _("customs profile")
        verbose_name_plural = _("customs profiles")

    def __str__(self) -> str:
        return str(self.company)


class DeclarationLine(models.Model):
    """One product of a parcel as customs see it. The declared value starts at what the
    merchant paid; a lower value needs a reason, which is kept."""

    parcel = models.ForeignKey(
        Parcel, verbose_name=_("parcel"), on_delete=models.CASCADE, related_name="declaration"
    )
    position = models.PositiveSmallIntegerField(_("line"))
    product_reference = models.CharField(_("product"), max_length=40, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300)
    description_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    origin_country = CountryField(_("country of origin"), default="CN")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=16, default="piece")
    paid_value = models.DecimalField(_("value paid"), null=True, blank=True, **MONEY)
    declared_value = models.DecimalField(_("declared value"), null=True, blank=True, **MONEY)
    value_reason = models.CharField(
        _("reason for a value below what was paid"), max_length=300, blank=True
    )
    net_weight_kg = models.DecimalField(_("net weight (kg)"), validators=POSITIVE, **KG)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), validators=POSITIVE, **KG)

    class Meta:
        verbose_name = _("declaration line")
        verbose_name_plural = _("declaration lines")
        ordering = ["parcel", "position"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "position"], name="declaration_line_once"),
            models.CheckConstraint(
                condition=Q(gross_weight_kg__gte=models.F("net_weight_kg")),
                name="declaration_gross_at_least_net",
                violation_error_message=_("The gross weight cannot be below the net weight."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parcel} #{self.position} {self.description_en}"


class ParcelBox(models.Model):
    """One box of a packed parcel: carriers weigh and price each piece."""

    parcel = models.ForeignKey(
        Parcel, verbose_name=_("parcel"), on_delete=models.CASCADE, related_name="boxes"
    )
    number = models.PositiveSmallIntegerField(_("box"))
    weight_kg = models.DecimalField(_("weight (kg)"), validators=POSITIVE, **KG)
    length_cm = models.DecimalField(_("length (cm)"), validators=POSITIVE, **CM)
    width_cm = models.DecimalField(_("width (cm)"), validators=POSITIVE, **CM)
    height_cm = models.DecimalField(_("height (cm)"), validators=POSITIVE, **CM)
    chargeable_kg = models.DecimalField(_("chargeable weight (kg)"), **KG)

    class Meta:
        verbose_name = _("box")
        verbose_name_plural = _("boxes")
        ordering = ["parcel", "number"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "number"], name="parcelbox_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.parcel} box {self.number}"

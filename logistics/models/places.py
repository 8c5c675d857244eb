"""Our warehouses in China and the address books of merchant companies."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from logistics.addressing import normalize_phone, normalize_postcode
from procurement.accounts.models import Company
from procurement.core.models import TimeStampedModel


class Warehouse(TimeStampedModel):
    """One of our warehouses in China, where goods are received, stored and packed."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    line1 = models.CharField(_("address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("province"), max_length=100)
    postcode = models.CharField(_("postcode"), max_length=12)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self):
        errors = {}
        try:
            self.postcode = normalize_postcode(self.postcode, "CN")
        except ValidationError as error:
            errors["postcode"] = error
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone, "CN")
            except ValidationError as error:
                errors["phone"] = error
        if errors:
            raise ValidationError(errors)


class Address(TimeStampedModel):
    """An entry in a company's address book: where its parcels may go."""

    class Kind(models.TextChoices):
        FORWARDER = "forwarder", _("Own forwarder in China")
        DOMESTIC_WAREHOUSE = "domestic_warehouse", _("Domestic warehouse in China")
        END_CUSTOMER = "end_customer", _("End customer abroad")

    # Forwarders and domestic warehouses are in China by definition (DESIGN.md, Shipping).
    CHINA_KINDS = frozenset({Kind.FORWARDER, Kind.DOMESTIC_WAREHOUSE})

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("recipient name"), max_length=120)
    company_name = models.CharField(_("company name"), max_length=160, blank=True)
    phone = models.CharField(_("phone"), max_length=32)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state, province or region"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    country = CountryField(_("country"))
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["company", "name", "pk"]
        indexes = [models.Index(fields=["company", "is_archived"], name="address_company_active")]

    def __str__(self) -> str:
        return f"{self.name}, {self.city} ({self.country.code})"

    def clean(self):
        errors: dict[str, ValidationError] = {}
        country = self.country.code if self.country else ""
        if self.kind in self.CHINA_KINDS and country and country != "CN":
            errors["country"] = ValidationError(
                _("A forwarder or domestic warehouse must be in China."), code="not_china"
            )
        if country:
            try:
                self.postcode = normalize_postcode(self.postcode, country)
            except ValidationError as error:
                errors["postcode"] = error
            try:
                self.phone = normalize_phone(self.phone, country)
            except ValidationError as error:
                errors["phone"] = error
        if errors:
            raise ValidationError(errors)

    @property
    def lines(self) -> list[str]:
        tail = " ".join(part for part in (self.postcode, self.city) if part)
        parts = [self.company_name, self.line1, self.line2, tail, self.region, self.country.name]
        return [part for part in parts if part]

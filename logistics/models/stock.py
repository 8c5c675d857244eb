"""Goods stored for companies, their photos, inbound parcels and monthly storage charges."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.models.measures import CM, CNY, KG, POSITIVE
from logistics.models.places import Warehouse
from procurement.accounts.models import Company
from procurement.core.hazards import HazardListField, hazard_labels
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful

BIN_LOCATION_LENGTH = 40
bin_location_format = RegexValidator(
    r"^[A-Z0-9]+(?:-[A-Z0-9]+)*\Z",
    message=_("A bin is letters and digits in groups joined by hyphens, for example A-03-2."),
    code="bin_location",
)


def bin_location_clean(value: str) -> str:
    """A storage location as staff type it, written one way: trimmed, upper case, spaces
    between groups as hyphens ("a 03 2" is "A-03-2"). Raises ValidationError for any other
    shape. Empty stays empty (not stored in a bin yet)."""
    location = "-".join((value or "").upper().split())
    if not location:
        return ""
    if len(location) > BIN_LOCATION_LENGTH:
        raise ValidationError(
            _("A bin has at most %(n)s characters.") % {"n": BIN_LOCATION_LENGTH},
            code="bin_location_length",
        )
    bin_location_format(location)
    return location


class StockItem(TimeStampedModel):
    """Goods of a company stored in one of our warehouses."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        RESERVED = "reserved", _("Reserved in a parcel")
        SHIPPED = "shipped", _("Shipped")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="stock_items"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    weight_kg = models.DecimalField(_("weight (kg)"), validators=POSITIVE, **KG)
    length_cm = models.DecimalField(_("length (cm)"), validators=POSITIVE, **CM)
    width_cm = models.DecimalField(_("width (cm)"), validators=POSITIVE, **CM)
    height_cm = models.DecimalField(_("height (cm)"), validators=POSITIVE, **CM)
    restricted_goods = HazardListField(
        _("hazards"), help_text=_("Copied from the product when received; staff can correct it.")
    )
    inspection_summary = models.TextField(_("inspection result"), blank=True)
    # --- customs data copied at the boundary when the goods are received ---
    product_reference = models.CharField(
        _("product"), max_length=40, blank=True, help_text=_('For example "product:12".')
    )
    sku_reference = models.CharField(
        _("SKU"),
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_('For example "sku:34"; empty for a product without SKUs.'),
    )
    description_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True, default="piece")
    unit_value = models.DecimalField(
        _("value paid per unit"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    value_currency = models.CharField(_("currency of the value paid"), max_length=3, blank=True)
    bin_location = models.CharField(
        _("storage location (bin)"),
        max_length=BIN_LOCATION_LENGTH,
        blank=True,
        validators=[bin_location_format],
        help_text=_("For example A-03-2."),
    )
    source_reference = models.CharField(
        _("source"),
        max_length=64,
        db_index=True,
        help_text=_('For example "po:12" or "inbound:5".'),
    )
    receipt_key = models.CharField(
        _("receipt key"),
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Makes receiving idempotent: the same key never creates a second item."),
    )
    arrived_at = models.DateTimeField(_("arrived"))
    free_storage_until = models.DateField(_("free storage until"))
    storage_notice_sent_at = models.DateTimeField(
        _("storage fee notice sent"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_STOCK
    )
    parcel = models.ForeignKey(
        "Parcel",
        verbose_name=_("parcel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )

    class Meta:
        verbose_name = _("stock item")
        verbose_name_plural = _("stock items")
        ordering = ["-arrived_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "status"], name="stock_company_status"),
            models.Index(fields=["status", "free_storage_until"], name="stock_storage_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0)
                & Q(length_cm__gt=0)
                & Q(width_cm__gt=0)
                & Q(height_cm__gt=0)
                & Q(quantity__gte=1),
                name="stock_measures_positive",
            ),
            models.CheckConstraint(
                condition=Q(status="in_stock", parcel__isnull=True)
                | (~Q(status="in_stock") & Q(parcel__isnull=False)),
                name="stock_parcel_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description}"

    @property
    def hazards_display(self) -> str:
        return hazard_labels(self.restricted_goods or ())

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm


class StockPhoto(models.Model):
    item = models.ForeignKey(
        StockItem, verbose_name=_("stock item"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="logistics/stock/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="logistics/stock/thumbs/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock photo")
        verbose_name_plural = _("stock photos")
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class InboundParcel(Stateful, TimeStampedModel):
    """A parcel a forwarding customer sends to our warehouse itself (no purchase order)."""

    class Status(models.TextChoices):
        DECLARED = "declared", _("Declared")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DECLARED: frozenset({Status.RECEIVED, Status.CANCELLED}),
        Status.RECEIVED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="inbound_parcels"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="inbound"
    )
    carrier = models.CharField(_("carrier"), max_length=80)
    tracking_number = models.CharField(_("tracking number"), max_length=64, db_index=True)
    contents = models.CharField(_("contents"), max_length=300)
    declared_value = models.DecimalField(
        _("declared value"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    declared_currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DECLARED
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inbound parcel")
        verbose_name_plural = _("inbound parcels")
        ordering = ["-created_at", "-pk"]
        permissions = [("receive_inboundparcel", _("Can receive inbound parcels into stock"))]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "tracking_number"],
                condition=~Q(status="cancelled"),
                name="inbound_unique_open_tracking_number",
                violation_error_message=_("You have already declared this tracking number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def reference(self) -> str:
        return f"inbound:{self.pk}"


class InboundParcelEvent(StatusEvent):
    subject = "inbound"

    inbound = models.ForeignKey(InboundParcel, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=InboundParcel.Status.choices)
    to_status = models.CharField(max_length=16, choices=InboundParcel.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("inbound parcel event")
        verbose_name_plural = _("inbound parcel events")
        ordering = ["inbound", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class StorageCharge(models.Model):
    """One month of storage of one item after its free period: at most one per item and month."""

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="storage_charges")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"), help_text=_("The first day of the month charged."))
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), **CNY)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3, null=True)
    currency = models.CharField(_("currency"), max_length=3)
    ledger_reference = models.CharField(_("ledger transaction"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("storage charge")
        verbose_name_plural = _("storage charges")
        ordering = ["-period", "item"]
        constraints = [
            models.UniqueConstraint(fields=["item", "period"], name="storagecharge_once_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.period:%Y-%m}"

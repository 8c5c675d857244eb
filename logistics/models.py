"""Warehouses, address books, shipping channels and rates, stock, inbound parcels, parcels,
tracking events and storage charges.

Orders and purchase orders live in a higher layer: they are known here only by an opaque
reference ("po:12") and the data they copied into a stock item when it was received.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from logistics.addressing import normalize_phone, normalize_postcode
from procurement.accounts.models import Company
from procurement.core.models import TimeStampedModel

KG = {"max_digits": 10, "decimal_places": 3}
CM = {"max_digits": 8, "decimal_places": 1}
CNY = {"max_digits": 14, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal("0.001"))]


class RestrictedGoods(models.TextChoices):
    """Goods that only some channels carry. A channel has one `allows_<value>` flag for each."""

    BATTERIES = "batteries", _("Batteries (built-in or separate)")
    LIQUIDS = "liquids", _("Liquids and gels")
    MAGNETS = "magnets", _("Magnets")
    POWDERS = "powders", _("Powders")
    COSMETICS = "cosmetics", _("Cosmetics")
    FOOD = "food", _("Food")


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
    allows_batteries = models.BooleanField(_("batteries allowed"), default=False)
    allows_liquids = models.BooleanField(_("liquids allowed"), default=False)
    allows_magnets = models.BooleanField(_("magnets allowed"), default=False)
    allows_powders = models.BooleanField(_("powders allowed"), default=False)
    allows_cosmetics = models.BooleanField(_("cosmetics allowed"), default=False)
    allows_food = models.BooleanField(_("food allowed"), default=False)
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
        return f"{self.carrier} {self.name}"

    def allows(self, goods: str) -> bool:
        return bool(getattr(self, f"allows_{goods}", False))

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
    restricted_goods = models.JSONField(
        _("restricted goods"), default=list, blank=True, help_text=_("Values of RestrictedGoods.")
    )
    inspection_summary = models.TextField(_("inspection result"), blank=True)
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


class InboundParcel(TimeStampedModel):
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


class InboundParcelEvent(models.Model):
    inbound = models.ForeignKey(InboundParcel, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=InboundParcel.Status.choices)
    to_status = models.CharField(max_length=16, choices=InboundParcel.Status.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inbound parcel event")
        verbose_name_plural = _("inbound parcel events")
        ordering = ["inbound", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Parcel(TimeStampedModel):
    """Stock items consolidated into one shipment to one address by one channel."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PACKING_REQUESTED = "packing_requested", _("Packing requested")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        CUSTOMS_HOLD = "customs_hold", _("Exception: held at customs")
        RETURNED = "returned", _("Exception: returned")
        LOST = "lost", _("Exception: lost")
        CANCELLED = "cancelled", _("Cancelled")

    EXCEPTIONS = frozenset({Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST})
    # Statuses in which the carrier has the parcel and tracking events are expected.
    TRACKED = frozenset({Status.SHIPPED, Status.IN_TRANSIT, Status.CUSTOMS_HOLD})
    # The one table of allowed transitions (STYLE.md, State transitions).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.PACKING_REQUESTED, Status.CANCELLED}),
        Status.PACKING_REQUESTED: frozenset({Status.PACKED, Status.DRAFT, Status.CANCELLED}),
        Status.PACKED: frozenset({Status.SHIPPED}),
        Status.SHIPPED: frozenset(
            {Status.IN_TRANSIT, Status.DELIVERED, Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST}
        ),
        Status.IN_TRANSIT: frozenset(
            {Status.DELIVERED, Status.CUSTOMS_HOLD, Status.RETURNED, Status.LOST}
        ),
        Status.CUSTOMS_HOLD: frozenset(
            {Status.IN_TRANSIT, Status.DELIVERED, Status.RETURNED, Status.LOST}
        ),
        Status.LOST: frozenset({Status.IN_TRANSIT, Status.DELIVERED}),
        Status.RETURNED: frozenset(),
        Status.DELIVERED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="parcels"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="parcels"
    )
    destination = models.ForeignKey(
        Address, verbose_name=_("destination"), on_delete=models.PROTECT, related_name="parcels"
    )
    channel = models.ForeignKey(
        ShippingChannel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="parcels"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    currency = models.CharField(_("merchant currency"), max_length=3)
    insured_value = models.DecimalField(
        _("insured value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    insurance_fee = models.DecimalField(
        _("insurance fee"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The tariff frozen when packing was requested: packing prices the real weight with it.
    rate_snapshot = models.JSONField(_("tariff used"), default=dict, blank=True, editable=False)
    estimated_weight_kg = models.DecimalField(_("estimated weight (kg)"), null=True, **KG)
    estimated_chargeable_kg = models.DecimalField(
        _("estimated chargeable weight (kg)"), null=True, **KG
    )
    estimated_freight_cny = models.DecimalField(_("estimated freight (CNY)"), null=True, **CNY)
    estimated_freight = models.DecimalField(
        _("estimated freight"), max_digits=14, decimal_places=3, null=True
    )
    actual_weight_kg = models.DecimalField(_("packed weight (kg)"), null=True, blank=True, **KG)
    length_cm = models.DecimalField(_("packed length (cm)"), null=True, blank=True, **CM)
    width_cm = models.DecimalField(_("packed width (cm)"), null=True, blank=True, **CM)
    height_cm = models.DecimalField(_("packed height (cm)"), null=True, blank=True, **CM)
    actual_chargeable_kg = models.DecimalField(
        _("packed chargeable weight (kg)"), null=True, blank=True, **KG
    )
    actual_freight_cny = models.DecimalField(
        _("actual freight (CNY)"), null=True, blank=True, **CNY
    )
    actual_freight = models.DecimalField(
        _("actual freight"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    tracking_registered_at = models.DateTimeField(null=True, blank=True, editable=False)
    tracking_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("pack_parcel", _("Can pack parcels (record weight and size)")),
            ("ship_parcel", _("Can ship parcels (record the tracking number)")),
        ]
        indexes = [
            models.Index(fields=["company", "status"], name="parcel_company_status"),
            models.Index(fields=["tracking_number"], name="parcel_tracking_number"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="parcel_unique_tracking_number_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"P{self.pk:06d}" if self.pk else "P-new"

    @property
    def is_exception(self) -> bool:
        return self.status in self.EXCEPTIONS

    @property
    def freight_difference_cny(self) -> Decimal | None:
        if self.actual_freight_cny is None or self.estimated_freight_cny is None:
            return None
        return self.actual_freight_cny - self.estimated_freight_cny

    @property
    def freight_difference(self) -> Decimal | None:
        if self.actual_freight is None or self.estimated_freight is None:
            return None
        return self.actual_freight - self.estimated_freight


class ParcelEvent(models.Model):
    """One step of a parcel: who moved it, when, from which status to which, and why."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Parcel.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Parcel.Status.choices)
    note = models.CharField(_("why"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("parcel event")
        verbose_name_plural = _("parcel events")
        ordering = ["parcel", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.parcel}: {self.from_status} → {self.to_status}"


class TrackingEvent(models.Model):
    """A carrier scan received by webhook or polling; unique per provider and event id."""

    class Kind(models.TextChoices):
        INFO = "info", _("Information received")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        CUSTOMS_HOLD = "customs_hold", _("Held at customs")
        RETURNED = "returned", _("Returned")
        LOST = "lost", _("Lost")
        OTHER = "other", _("Other")

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="tracking_events")
    provider = models.CharField(_("provider"), max_length=16)
    external_id = models.CharField(_("event id"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    description = models.CharField(_("description"), max_length=300)
    location = models.CharField(_("location"), max_length=160, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["parcel", "-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="trackingevent_unique_provider_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parcel}: {self.description}"


class FreightCharge(models.Model):
    """What a parcel's freight costs the merchant: the estimate, then the packed difference.

    One row per step, unique by key, so settling twice records nothing new. `amount` is in the
    merchant's currency: the display estimate until settled, then what the wallet actually paid
    (positive) or got back (negative). `ledger_reference` stays empty until the payments ledger
    has taken the amount.
    """

    class Kind(models.TextChoices):
        ESTIMATE = "estimate", _("Estimated freight")
        ADJUSTMENT = "adjustment", _("Difference after packing")
        INSURANCE = "insurance", _("Insurance")
        REFUND = "refund", _("Refund on cancellation")

    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), **CNY)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3, null=True)
    currency = models.CharField(_("currency"), max_length=3)
    refund_of = models.ForeignKey(
        "self",
        verbose_name=_("refund of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )
    ledger_reference = models.CharField(
        _("ledger transaction"),
        max_length=64,
        blank=True,
        help_text=_('Empty: not settled yet. "void": dropped before it was ever settled.'),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("freight charge")
        verbose_name_plural = _("freight charges")
        ordering = ["parcel", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.parcel} {self.get_kind_display()}: {self.amount_cny} CNY"


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

"""Supplier purchase orders, their lines, inspection photos and timeline."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    GeneratedName,
    Product,
    Sku,
    Supplier,
)
from logistics.models import Warehouse
from logistics.models.stock import BIN_LOCATION_LENGTH, bin_location_format
from orders.models.fields import CNY
from orders.models.orders import Order, OrderLine
from payments.models import LedgerTransaction
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


class PurchaseOrder(Stateful, TimeStampedModel):
    """What we buy from one supplier for one order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PLACED = "placed", _("Placed with the supplier")
        SHIPPED = "shipped", _("Shipped by the supplier")
        RECEIVED = "received", _("Received")
        INSPECTED = "inspected", _("Inspected")
        STOCKED = "stocked", _("Stocked")
        OUT_OF_STOCK = "out_of_stock", _("Out of stock")
        PRICE_CHANGED = "price_changed", _("Price changed: waiting for you")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned to the supplier")

    # The labels above speak to the merchant; staff read these instead where they differ.
    STAFF_LABELS = {
        Status.PRICE_CHANGED: _("Price changed: waiting for the merchant"),
    }

    TRANSITIONS = {
        Status.PENDING: frozenset(
            {Status.PLACED, Status.PRICE_CHANGED, Status.OUT_OF_STOCK, Status.CANCELLED}
        ),
        Status.OUT_OF_STOCK: frozenset({Status.PENDING, Status.CANCELLED}),
        Status.PRICE_CHANGED: frozenset({Status.PLACED, Status.CANCELLED}),
        Status.PLACED: frozenset({Status.SHIPPED, Status.OUT_OF_STOCK, Status.CANCELLED}),
        Status.SHIPPED: frozenset({Status.RECEIVED}),
        Status.RECEIVED: frozenset({Status.INSPECTED, Status.RETURNED}),
        # Back to placed: the merchant asked for replacements of failed lines.
        Status.INSPECTED: frozenset({Status.STOCKED, Status.RETURNED, Status.PLACED}),
        Status.STOCKED: frozenset(),
        Status.CANCELLED: frozenset(),
        Status.RETURNED: frozenset(),
    }
    # Closed: nothing more is bought or received; what the merchant paid for it is given back.
    CLOSED = frozenset({Status.CANCELLED, Status.RETURNED})
    NOT_BOUGHT = frozenset({Status.PENDING, Status.OUT_OF_STOCK, Status.PRICE_CHANGED})
    BOUGHT = frozenset(
        {Status.PLACED, Status.SHIPPED, Status.RECEIVED, Status.INSPECTED, Status.STOCKED}
    )
    # Waiting for the merchant, who is told by mail and webhook and may cancel it.
    MERCHANT_EXCEPTIONS = frozenset({Status.OUT_OF_STOCK, Status.PRICE_CHANGED})
    # Not placed and not waiting for the merchant's answer: staff may route it elsewhere.
    ROUTABLE = frozenset({Status.PENDING, Status.OUT_OF_STOCK})

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.PENDING,
        editable=False,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    domestic_freight_cny = models.DecimalField(
        _("domestic freight (CNY)"), default=Decimal("0.00"), **CNY
    )
    supplier_order_no = models.CharField(_("1688 order number"), max_length=64, blank=True)
    actual_total_cny = models.DecimalField(
        _("actual price paid (CNY)"),
        null=True,
        blank=True,
        help_text=_("Goods and domestic freight, as charged by the supplier."),
        **CNY,
    )
    proposed_total_cny = models.DecimalField(
        _("new price put to the merchant (CNY)"), null=True, blank=True, **CNY
    )
    tracking_number = models.CharField(_("domestic tracking number"), max_length=64, blank=True)
    inspection_summary = models.TextField(_("inspection result"), blank=True)
    price_difference = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("price difference transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refund = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("refund transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    stock_item_id = models.PositiveBigIntegerField(_("stock item"), null=True, blank=True)
    placed_at = models.DateTimeField(_("placed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped by the supplier"), null=True, blank=True)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("receiving warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Where the warehouse put the goods when they arrived; their stock items start there.
    bin_location = models.CharField(
        _("storage location (bin)"),
        max_length=BIN_LOCATION_LENGTH,
        blank=True,
        validators=[bin_location_format],
    )
    payable_recorded = models.BooleanField(
        _("supplier payable recorded"),
        default=False,
        help_text=_("Set once payments holds the payable for this purchase order."),
    )

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["status_changed_at", "pk"]
        permissions = [
            ("route_purchaseorder", _("Can change the supplier of and split purchase orders")),
            ("place_purchaseorder", _("Can record placement and actual price")),
            ("ship_purchaseorder", _("Can record the supplier's shipment")),
            ("receive_purchaseorder", _("Can receive, inspect and stock purchase orders")),
            ("cancel_purchaseorder", _("Can cancel purchase orders and refund them")),
        ]
        indexes = [
            models.Index(fields=["status", "status_changed_at"], name="po_queue"),
        ]

    def __str__(self) -> str:
        return f"PO-{self.pk}"

    @property
    def reference(self) -> str:
        return f"po:{self.pk}"

    def get_staff_status_display(self) -> str:
        """The status as staff read it (the merchant's label unless STAFF_LABELS differs)."""
        return str(self.STAFF_LABELS.get(self.status, self.get_status_display()))

    @property
    def expected_total_cny(self) -> Decimal:
        """Goods at the prices the merchant paid, plus the domestic freight charged."""
        return (
            sum((line.line_total_cny for line in self.lines.all()), Decimal("0.00"))
            + self.domestic_freight_cny
        )

    @property
    def is_routable(self) -> bool:
        """Another supplier may take it, or some of its lines (change supplier, split)."""
        return self.status in self.ROUTABLE

    @property
    def awaits_placement(self) -> bool:
        """Staff place it on 1688 now. (A new price put to the merchant waits for the merchant;
        a replacement goes back to placed by the merchant's decision.)"""
        return self.status == self.Status.PENDING

    @property
    def is_bought(self) -> bool:
        """Placed with the supplier and not closed: it has an actual price and a payable."""
        return self.status in self.BOUGHT

    @property
    def merchant_may_cancel(self) -> bool:
        return self.status in self.MERCHANT_EXCEPTIONS

    @property
    def awaits_price_decision(self) -> bool:
        """The supplier asks more: the merchant accepts the new price or cancels."""
        return self.status == self.Status.PRICE_CHANGED and self.proposed_total_cny is not None

    @property
    def awaits_line_decisions(self) -> bool:
        """Inspected with failed lines: the merchant decides on each (accept, return, replace)."""
        return self.status == self.Status.INSPECTED


# The inspection checklist: key -> label. A line passes only when every item is in order.
CHECKLIST: dict[str, str] = {
    "quantity": _("Quantity matches"),
    "damage": _("No damage"),
    "colour_size": _("Colour and size match"),
    "function": _("Works as described"),
    "packaging": _("Packaging intact"),
}


class PurchaseOrderLine(Stateful, models.Model):
    """One product of a purchase order, counted and inspected in the warehouse.

    Its status is the line's journey through inspection: waiting for inspection, then passed
    (stocked) or failed; a failed line waits for the merchant, who accepts it as it is (stocked),
    returns it (refunded) or asks for a replacement, which is inspected again when it arrives.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for inspection")
        PASSED = "passed", _("Passed inspection")
        FAILED = "failed", _("Failed inspection")
        ACCEPTED = "accepted", _("Failed, accepted as is")
        RETURNED = "returned", _("Returned to the supplier")
        REPLACING = "replacing", _("Replacement requested")

    TRANSITIONS = {
        Status.PENDING: frozenset({Status.PASSED, Status.FAILED}),
        Status.PASSED: frozenset(),
        Status.FAILED: frozenset({Status.ACCEPTED, Status.RETURNED, Status.REPLACING}),
        Status.ACCEPTED: frozenset(),
        Status.RETURNED: frozenset(),
        # The replacement arrived and was counted: it is inspected like the first shipment.
        Status.REPLACING: frozenset({Status.PENDING}),
    }
    # Goods still to arrive or to count: what receiving counts.
    TO_RECEIVE = frozenset({Status.PENDING, Status.REPLACING})
    # The merchant's decisions on a failed line.
    DECISIONS = frozenset({Status.ACCEPTED, Status.RETURNED, Status.REPLACING})
    # Whatever happened since, these lines failed an inspection: their checklist says why.
    FOUND_FAULTY = frozenset({Status.FAILED, *DECISIONS})

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sku = models.ForeignKey(
        Sku,
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price_cny = models.DecimalField(_("unit price (CNY)"), **CNY)
    # Receiving and inspection, line by line.
    received_quantity = models.PositiveIntegerField(_("received"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.PENDING,
        editable=False,
        db_index=True,
    )
    checklist = models.JSONField(
        _("checklist"),
        default=dict,
        blank=True,
        help_text=_("Each CHECKLIST item and whether it was found in order."),
    )
    inspection_note = models.TextField(_("inspection note"), blank=True)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    # Every inspection of this line, replacements included: the supplier's defect record.
    times_inspected = models.PositiveSmallIntegerField(_("times inspected"), default=0)
    times_failed = models.PositiveSmallIntegerField(_("times failed"), default=0)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    length_cm = models.DecimalField(
        _("length (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    width_cm = models.DecimalField(
        _("width (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        _("height (cm)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("decided"), null=True, blank=True)
    stock_item_id = models.PositiveBigIntegerField(_("stock item"), null=True, blank=True)
    refund = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("refund transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=models.F("quantity")),
                name="poline_received_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} x {self.quantity}"

    @property
    def line_total_cny(self) -> Decimal:
        return (self.unit_price_cny * self.quantity).quantize(Decimal("0.01"))

    @property
    def awaits_decision(self) -> bool:
        """Failed inspection and the merchant has not decided yet (while its purchase order
        `awaits_line_decisions`)."""
        return self.status == self.Status.FAILED

    @property
    def was_found_faulty(self) -> bool:
        """It failed its last inspection, whatever the merchant decided since."""
        return self.status in self.FOUND_FAULTY

    @property
    def failed_checks(self) -> list[str]:
        """Labels of the checklist items found not in order."""
        return [
            str(CHECKLIST[key]) for key, ok in self.checklist.items() if key in CHECKLIST and not ok
        ]


class InspectionPhoto(models.Model):
    """A photo taken while inspecting a purchase order line; stored under a generated name with
    a JPEG thumbnail (checked with Pillow by `logistics.photos.photo_check`)."""

    line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("purchase order line"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(_("photo"), upload_to=GeneratedName("orders/inspection"))
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=GeneratedName("orders/inspection/thumbs")
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["line", "pk"]

    def __str__(self) -> str:
        return self.image.name


class PurchaseOrderLineEvent(StatusEvent):
    """The timeline of one line: inspected, decided on by the merchant, replaced."""

    subject = "line"

    line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("purchase order line"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=PurchaseOrderLine.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=PurchaseOrderLine.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("purchase order line event")
        verbose_name_plural = _("purchase order line events")


class PurchaseOrderEvent(StatusEvent):
    subject = "purchase_order"

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=PurchaseOrder.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=PurchaseOrder.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("purchase order event")
        verbose_name_plural = _("purchase order events")

"""Carts, orders, supplier purchase orders, sourcing requests with their quotes, and messages.

Writes go through `orders.services`; reads through `orders.selectors`. Orders, purchase orders,
sourcing requests and quotes are `Stateful`: each holds its table of allowed moves
(`TRANSITIONS`) and its status changes only through `procurement.core.states`, which writes an
event row on the object's timeline (`events`).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    GeneratedName,
    Product,
    Sku,
    Supplier,
    UploadCheck,
)
from logistics.models import Address, ShippingChannel, Warehouse
from payments.models import FxQuote, LedgerTransaction
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful

CNY = {"max_digits": 14, "decimal_places": 2}


# --- Cart ------------------------------------------------------------------------------------


class Cart(TimeStampedModel):
    """One cart per user and company, kept in the database so it survives logging out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="carts",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="carts"
    )

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="cart_unique_user_company"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class CartLine(TimeStampedModel):
    """A SKU (or a product sold without SKUs) and how many. `seen_unit_price_cny` is the unit
    price the merchant was shown last; checkout compares against it and never applies a change
    silently."""

    cart = models.ForeignKey(
        Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    sku = models.ForeignKey(
        Sku,
        verbose_name=_("SKU"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    seen_unit_price_cny = models.DecimalField(
        _("unit price shown (CNY)"), null=True, blank=True, **CNY
    )

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["cart", "product_id", "sku_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "sku"], condition=Q(sku__isnull=False), name="cartline_unique_sku"
            ),
            models.UniqueConstraint(
                fields=["cart", "product"],
                condition=Q(sku__isnull=True),
                name="cartline_unique_product_without_sku",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku or self.product} x {self.quantity}"


# --- Orders ----------------------------------------------------------------------------------


class Order(Stateful, TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTLY_PURCHASED = "partly_purchased", _("Partly purchased")
        PURCHASING = "purchasing", _("Purchasing")
        IN_WAREHOUSE = "in_warehouse", _("In warehouse")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    TRANSITIONS = {
        Status.PENDING_APPROVAL: frozenset({Status.AWAITING_PAYMENT, Status.CANCELLED}),
        Status.AWAITING_PAYMENT: frozenset(
            {Status.PAID, Status.PENDING_APPROVAL, Status.CANCELLED}
        ),
        # A paid order follows its purchase orders (see PURCHASE_PHASE).
        Status.PAID: frozenset(
            {Status.PARTLY_PURCHASED, Status.PURCHASING, Status.IN_WAREHOUSE, Status.REFUNDED}
        ),
        Status.PARTLY_PURCHASED: frozenset(
            {Status.PAID, Status.PURCHASING, Status.IN_WAREHOUSE, Status.REFUNDED}
        ),
        Status.PURCHASING: frozenset(
            {Status.PAID, Status.PARTLY_PURCHASED, Status.IN_WAREHOUSE, Status.REFUNDED}
        ),
        Status.IN_WAREHOUSE: frozenset(
            {Status.PARTLY_PURCHASED, Status.PURCHASING, Status.COMPLETED}
        ),
        Status.COMPLETED: frozenset(),
        Status.CANCELLED: frozenset(),
        Status.REFUNDED: frozenset(),
    }
    # Statuses of a paid order while its goods are bought: it follows its purchase orders.
    PURCHASE_PHASE = frozenset(
        {Status.PAID, Status.PARTLY_PURCHASED, Status.PURCHASING, Status.IN_WAREHOUSE}
    )

    class Source(models.TextChoices):
        CART = "cart", _("Cart")
        QUOTE = "quote", _("Sourcing quote")
        API = "api", _("API")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="orders"
    )
    number = models.CharField(_("number"), max_length=20, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.AWAITING_PAYMENT,
        editable=False,
        db_index=True,
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.CART, editable=False
    )
    checkout_key = models.CharField(
        _("checkout key"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("One per checkout form: a double submit finds the order made the first time."),
    )
    currency = models.CharField(_("wallet currency"), max_length=3)
    goods_cny = models.DecimalField(_("goods (CNY)"), **CNY)
    domestic_freight_cny = models.DecimalField(_("domestic freight (CNY)"), **CNY)
    destination = models.ForeignKey(
        Address,
        verbose_name=_("destination"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    shipping_channel = models.ForeignKey(
        ShippingChannel,
        verbose_name=_("shipping channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    chargeable_weight_kg = models.DecimalField(
        _("chargeable weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    intl_freight_estimate_cny = models.DecimalField(
        _("international freight estimate (CNY)"), null=True, blank=True, **CNY
    )
    estimated_total = models.DecimalField(
        _("estimated total (wallet currency)"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("At the mid rate with the markup and fee, when the order was placed."),
    )
    quote = models.ForeignKey(
        FxQuote,
        verbose_name=_("FX quote"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The locked quote the merchant pays with; replaced when refreshed."),
    )
    charge = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("checkout charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_comment = models.TextField(_("approval comment"), blank=True)
    sourcing_quote = models.ForeignKey(
        "SourcingQuote",
        verbose_name=_("sourcing quote"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        permissions = [("complete_order", _("Can mark an order completed"))]
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="order_company_newest"),
            models.Index(fields=["company", "status"], name="order_company_status"),
        ]
        constraints = [
            # Set right after the insert, from the primary key; blank only inside that transaction.
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="order_unique_number"
            ),
            models.CheckConstraint(condition=Q(goods_cny__gte=0), name="order_goods_not_negative"),
            models.CheckConstraint(
                condition=Q(domestic_freight_cny__gte=0), name="order_freight_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def reference(self) -> str:
        return f"order:{self.pk}"

    @property
    def total_cny(self) -> Decimal:
        return self.goods_cny + self.domestic_freight_cny

    @property
    def awaits_payment(self) -> bool:
        return self.status == self.Status.AWAITING_PAYMENT

    @property
    def is_cancellable(self) -> bool:
        """Before payment an order is cancelled; paid, with nothing bought yet, it is refunded
        whole. Once goods are bought its purchase orders are cancelled one by one."""
        return self.can_become(self.Status.CANCELLED) or self.status == self.Status.PAID


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
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
    sku_code = models.CharField(_("SKU code"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price_cny = models.DecimalField(_("unit price (CNY)"), **CNY)
    line_total_cny = models.DecimalField(_("line total (CNY)"), **CNY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price_cny__gt=0), name="orderline_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} x {self.quantity}"


class OrderEvent(StatusEvent):
    """One change of an order's status: the order's timeline."""

    subject = "order"

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=Order.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Order.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")


# --- Purchase orders ---------------------------------------------------------------------------


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


class Inspection(models.TextChoices):
    PENDING = "pending", _("Not inspected")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class Resolution(models.TextChoices):
    """What the merchant decided for a line that failed inspection."""

    ACCEPTED = "accepted", _("Accept as is")
    RETURNED = "returned", _("Return to the supplier")
    REPLACED = "replaced", _("Ask for a replacement")


# The inspection checklist: key -> label. A line passes only when every item is in order.
CHECKLIST: dict[str, str] = {
    "quantity": _("Quantity matches"),
    "damage": _("No damage"),
    "colour_size": _("Colour and size match"),
    "function": _("Works as described"),
    "packaging": _("Packaging intact"),
}


class PurchaseOrderLine(models.Model):
    Inspection = Inspection
    Resolution = Resolution

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
    inspection = models.CharField(
        _("inspection"), max_length=8, choices=Inspection.choices, default=Inspection.PENDING
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
    resolution = models.CharField(
        _("merchant's decision"), max_length=8, choices=Resolution.choices, blank=True
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
        return self.inspection == Inspection.FAILED and not self.resolution

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


# --- Purchase orders on the 1688 open platform ---------------------------------------------------


class AlibabaOrder(Stateful, TimeStampedModel):
    """A purchase order's passage through 1688's trade API: its preview, the order(s) 1688
    created for it and what went wrong last. One per purchase order; the purchase order's own
    status moves only through the purchasing services once 1688 has answered."""

    class Status(models.TextChoices):
        NEW = "new", _("Not sent to 1688")
        PREVIEWING = "previewing", _("Preview requested")
        PREVIEWED = "previewed", _("Previewed")
        PLACING = "placing", _("Placing on 1688")
        PLACED = "placed", _("Placed on 1688")
        FAILED = "failed", _("Refused or failed: nothing was ordered")
        UNKNOWN = "unknown", _("No answer: 1688 may have created the order")
        CREATED = "created", _("Created on 1688, not recorded here")
        PARTIAL = "partial", _("Partly created on 1688: resolve by hand")

    RETRYABLE = frozenset({Status.FAILED, Status.UNKNOWN, Status.CREATED})
    _AGAIN = frozenset({Status.PREVIEWING, Status.PLACING})
    TRANSITIONS = {
        Status.NEW: _AGAIN,
        Status.PREVIEWING: frozenset({Status.PREVIEWED, Status.FAILED}),
        Status.PREVIEWED: _AGAIN,
        Status.PLACING: frozenset(
            {Status.PLACED, Status.FAILED, Status.UNKNOWN, Status.CREATED, Status.PARTIAL}
        ),
        # After a refusal, a preview may come first; after an unknown outcome or an order not
        # recorded, only placing again (same outOrderId: 1688 answers the order it made).
        Status.FAILED: _AGAIN,
        Status.UNKNOWN: frozenset({Status.PLACING}),
        Status.CREATED: frozenset({Status.PLACING}),
        Status.PLACED: frozenset(),
        Status.PARTIAL: frozenset(),
    }
    STATUS_EVENTS = None  # its outcomes are written on the purchase order's timeline

    purchase_order = models.OneToOneField(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="alibaba",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, editable=False
    )
    out_order_id = models.CharField(_("outside order id sent to 1688"), max_length=64, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handling = models.CharField(_("price difference handling"), max_length=8, blank=True)
    preview = models.JSONField(_("last preview"), default=dict, blank=True)
    order_ids = models.JSONField(_("1688 order numbers"), default=list, blank=True)
    goods_total_cny = models.DecimalField(
        _("goods total on 1688 (CNY)"), null=True, blank=True, **CNY
    )
    freight_cny = models.DecimalField(_("freight on 1688 (CNY)"), null=True, blank=True, **CNY)
    error_code = models.CharField(_("last error code"), max_length=64, blank=True)
    error_message = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveIntegerField(_("placing attempts"), default=0)
    trade_status = models.CharField(_("status on 1688"), max_length=32, blank=True)
    carrier = models.CharField(_("domestic carrier"), max_length=100, blank=True)
    synced_at = models.DateTimeField(_("last read from 1688"), null=True, blank=True)

    class Meta:
        verbose_name = _("1688 order")
        verbose_name_plural = _("1688 orders")

    def __str__(self) -> str:
        return self.out_order_id

    @property
    def may_preview(self) -> bool:
        return self.can_become(self.Status.PREVIEWING)

    @property
    def may_place(self) -> bool:
        return self.can_become(self.Status.PLACING)


class AlibabaCall(models.Model):
    """One request to the 1688 open platform and its answer, secrets masked, kept for staff to
    see what was sent and what came back."""

    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alibaba_calls",
    )
    api = models.CharField(_("API"), max_length=80)
    request = models.JSONField(_("request (secrets masked)"), default=dict)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("1688 call")
        verbose_name_plural = _("1688 calls")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.api} {self.http_status or self.error_code}"


# --- Sourcing ------------------------------------------------------------------------------------


class SourcingRequest(Stateful, TimeStampedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        QUOTED = "quoted", _("Quoted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.SUBMITTED: frozenset({Status.QUOTED, Status.CLOSED}),
        # Quoted again: a new quote supersedes the one sent before.
        Status.QUOTED: frozenset({Status.QUOTED, Status.ACCEPTED, Status.DECLINED, Status.CLOSED}),
        Status.DECLINED: frozenset({Status.QUOTED, Status.CLOSED}),
        Status.ACCEPTED: frozenset(),
        Status.CLOSED: frozenset(),
    }

    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="sourcing_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.SUBMITTED,
        editable=False,
        db_index=True,
    )
    title = models.CharField(_("what you are looking for"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    links = models.JSONField(
        _("product links"),
        default=list,
        blank=True,
        help_text=_("Parsed links: source, site, external id and canonical URL."),
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("catalog product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_quantity = models.PositiveIntegerField(_("target quantity"), null=True, blank=True)
    target_unit_price = models.DecimalField(
        _("target unit price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_currency = models.CharField(_("target price currency"), max_length=3, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("sourcing request")
        verbose_name_plural = _("sourcing requests")
        ordering = ["-created_at", "-pk"]
        permissions = [("quote_sourcingrequest", _("Can send quotes for sourcing requests"))]
        indexes = [models.Index(fields=["status", "created_at"], name="sourcing_queue")]

    def __str__(self) -> str:
        return f"SR-{self.pk} {self.title}"


class SourcingPhoto(models.Model):
    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(
        _("photo"),
        upload_to=GeneratedName("orders/sourcing"),
        validators=[UploadCheck(IMAGE_EXTENSIONS, IMAGE_MAX_BYTES)],
    )

    class Meta:
        verbose_name = _("sourcing photo")
        verbose_name_plural = _("sourcing photos")
        ordering = ["request", "pk"]

    def __str__(self) -> str:
        return self.image.name


class SourcingRequestEvent(StatusEvent):
    subject = "request"

    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SourcingRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SourcingRequest.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("sourcing request event")
        verbose_name_plural = _("sourcing request events")


class SourcingQuote(Stateful, TimeStampedModel):
    """An account manager's answer: lines with CNY prices, valid until a date. Drafts are edited
    in the admin; once sent a quote is fixed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Superseded")

    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.SENT}),
        # Superseded: a newer quote for the same request was sent.
        Status.SENT: frozenset({Status.ACCEPTED, Status.DECLINED, Status.SUPERSEDED}),
        Status.ACCEPTED: frozenset(),
        Status.DECLINED: frozenset(),
        Status.SUPERSEDED: frozenset(),
    }

    request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        related_name="quotes",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note to the merchant"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("sourcing quote")
        verbose_name_plural = _("sourcing quotes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Q-{self.pk}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.valid_until

    @property
    def can_be_sent(self) -> bool:
        return self.can_become(self.Status.SENT)

    @property
    def awaits_decision(self) -> bool:
        """Sent to the merchant, who may accept it (while it is valid) or decline it."""
        return self.can_become(self.Status.ACCEPTED)


class SourcingQuoteEvent(StatusEvent):
    """One change of a quote's status: sent, superseded, accepted or declined."""

    subject = "quote"

    quote = models.ForeignKey(
        SourcingQuote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SourcingQuote.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SourcingQuote.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("sourcing quote event")
        verbose_name_plural = _("sourcing quote events")


class SourcingQuoteLine(models.Model):
    quote = models.ForeignKey(
        SourcingQuote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
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
    unit_price_cny = models.DecimalField(_("unit price (CNY)"), **CNY)
    moq = models.PositiveIntegerField(_("minimum order"), default=1)
    quantity = models.PositiveIntegerField(_("quantity quoted"))
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"))

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price_cny__gt=0), name="quoteline_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=models.F("moq")) & Q(moq__gte=1),
                name="quoteline_quantity_at_least_moq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} x {self.quantity}"

    @property
    def line_total_cny(self) -> Decimal:
        return (self.unit_price_cny * self.quantity).quantize(Decimal("0.01"))


# --- Messages -------------------------------------------------------------------------------------


class Message(models.Model):
    """A message in the thread of an order or of a sourcing request."""

    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    sourcing_request = models.ForeignKey(
        SourcingRequest,
        verbose_name=_("sourcing request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False, sourcing_request__isnull=True)
                | Q(order__isnull=True, sourcing_request__isnull=False),
                name="message_in_exactly_one_thread",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_required"),
        ]

    def __str__(self) -> str:
        return self.body[:60]

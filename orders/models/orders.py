"""Orders, their lines and their timeline."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    Product,
    Sku,
    Supplier,
)
from logistics.models import Address, ShippingChannel
from orders.models.fields import CNY
from payments.models import FxQuote, LedgerTransaction
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


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

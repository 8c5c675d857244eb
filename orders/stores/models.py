"""Store connections, the links from store variants to portal SKUs, store orders and the
webhook deliveries already taken in."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from catalog.models import Product, Sku
from logistics.models import Parcel, ShippingChannel
from orders.models import Order
from procurement.accounts.models import Company
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


def _webhook_token() -> str:
    return secrets.token_urlsafe(24)


class Platform(models.TextChoices):
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")


class StoreConnection(Stateful, TimeStampedModel):
    """A merchant's store the portal reads orders from and pushes tracking to.

    Shopify: the shop's myshopify.com domain, the Admin API access token of the merchant's
    custom app and that app's client secret (Shopify signs webhooks with it). WooCommerce: the
    site URL, a REST API consumer key and secret; the webhook secret is ours, given to the store
    when the webhooks are registered. Every secret is encrypted at rest (`orders.stores.crypto`).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        NEEDS_ATTENTION = "needs_attention", _("Needs attention")
        REMOVED = "removed", _("Removed")

    class WebhookStatus(models.TextChoices):
        NONE = "none", _("Not registered")
        REGISTERED = "registered", _("Registered")
        FAILED = "failed", _("Registration failed (orders are polled)")
        REMOVED = "removed", _("Removed")

    TRANSITIONS = {
        Status.ACTIVE: frozenset({Status.PAUSED, Status.NEEDS_ATTENTION, Status.REMOVED}),
        Status.PAUSED: frozenset({Status.ACTIVE, Status.REMOVED}),
        Status.NEEDS_ATTENTION: frozenset({Status.ACTIVE, Status.PAUSED, Status.REMOVED}),
        Status.REMOVED: frozenset(),
    }
    OPEN = frozenset({Status.ACTIVE, Status.PAUSED, Status.NEEDS_ATTENTION})

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="stores"
    )
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=120)
    shop = models.CharField(
        _("shop address"),
        max_length=255,
        help_text=_("Shopify: the shop's myshopify.com domain. WooCommerce: the site URL."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("connected by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Encrypted: Shopify access token / WooCommerce consumer key; WooCommerce consumer secret;
    # the key webhooks are signed with (Shopify: the app's client secret; WooCommerce: ours).
    access_key_encrypted = models.TextField(editable=False)
    access_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(editable=False)
    webhook_token = models.CharField(
        max_length=64, unique=True, default=_webhook_token, editable=False
    )
    webhook_status = models.CharField(
        _("webhooks"), max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.NONE
    )
    webhook_ids = models.JSONField(default=list, blank=True, editable=False)
    auto_pay = models.BooleanField(
        _("pay automatically"),
        default=False,
        help_text=_(
            "Pay store orders from the wallet when it covers them and they are under the limit."
        ),
    )
    auto_pay_limit = models.DecimalField(
        _("auto-pay limit"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("In the wallet currency. Orders above it wait for approval."),
    )
    notify_customer = models.BooleanField(
        _("notify the customer"),
        default=True,
        help_text=_("The store mails its customer when the tracking number arrives."),
    )
    markup_percent = models.DecimalField(
        _("markup (%)"), max_digits=6, decimal_places=2, default=100
    )
    brand_name = models.CharField(_("brand name on the packing slip"), max_length=80, blank=True)
    # The default channel; `channel_rules` override it per destination country.
    shipping_channel = models.ForeignKey(
        ShippingChannel,
        verbose_name=_("shipping channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_call_at = models.DateTimeField(_("last call"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)
    # Every failed call to the store (refused, throttled past its retries, unreachable), since
    # the connection was made: the metrics' counter of store API errors.
    error_count = models.PositiveIntegerField(_("failed calls"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    attention_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("store connection")
        verbose_name_plural = _("store connections")
        ordering = ["company", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "platform", "shop"],
                condition=~Q(status="removed"),
                name="storeconnection_one_open_per_shop",
            ),
            models.CheckConstraint(
                condition=Q(auto_pay_limit__isnull=True) | Q(auto_pay_limit__gte=0),
                name="storeconnection_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class StoreConnectionEvent(StatusEvent):
    subject = "connection"

    connection = models.ForeignKey(StoreConnection, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=16, choices=StoreConnection.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=StoreConnection.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("store connection event")
        verbose_name_plural = _("store connection events")


class ChannelRule(TimeStampedModel):
    """The channel a store's orders to one destination country travel by, instead of the
    connection's default channel."""

    connection = models.ForeignKey(
        StoreConnection, on_delete=models.CASCADE, related_name="channel_rules"
    )
    country = CountryField(_("destination country"))
    channel = models.ForeignKey(
        ShippingChannel,
        verbose_name=_("shipping channel"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("channel rule")
        verbose_name_plural = _("channel rules")
        ordering = ["connection", "country"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "country"], name="channelrule_one_per_country"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country.code} → {self.channel}"


class VariantLink(TimeStampedModel):
    """A store variant and the portal SKU (or product without SKUs) it is fulfilled with."""

    connection = models.ForeignKey(
        StoreConnection, on_delete=models.CASCADE, related_name="variant_links"
    )
    external_variant_id = models.CharField(_("store variant id"), max_length=80)
    external_product_id = models.CharField(_("store product id"), max_length=80, blank=True)
    title = models.CharField(_("store title"), max_length=300)
    store_sku = models.CharField(_("store SKU"), max_length=120, blank=True)
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
    published = models.BooleanField(_("published from the portal"), default=False)

    class Meta:
        verbose_name = _("variant link")
        verbose_name_plural = _("variant links")
        ordering = ["connection", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_variant_id"], name="variantlink_unique_variant"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_mapped(self) -> bool:
        return self.product_id is not None


class StoreOrder(Stateful, TimeStampedModel):
    """One order of the merchant's store, kept whole, and the portal order made from it."""

    class Status(models.TextChoices):
        WAITING_MAPPING = "waiting_mapping", _("Waiting for mapping")
        HELD = "held", _("Held")
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        PAID = "paid", _("Paid")
        PURCHASED = "purchased", _("Purchased")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        TRACKING_PUSHED = "tracking_pushed", _("Tracking pushed")
        CANCEL_REQUESTED = "cancel_requested", _("Cancelled in the store: your decision")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        # Straight to packed, or waiting to be approved, and back to held when the parcel
        # taken from stock was cancelled: an order the merchant's stock covers whole.
        Status.WAITING_MAPPING: frozenset(
            {Status.HELD, Status.AWAITING_APPROVAL, Status.PAID, Status.PACKED, Status.CANCELLED}
        ),
        Status.HELD: frozenset(
            {
                Status.WAITING_MAPPING,
                Status.AWAITING_APPROVAL,
                Status.PAID,
                Status.PACKED,
                Status.CANCELLED,
            }
        ),
        Status.AWAITING_APPROVAL: frozenset(
            {Status.PAID, Status.PACKED, Status.HELD, Status.CANCELLED}
        ),
        Status.PAID: frozenset({Status.PURCHASED, Status.CANCELLED, Status.CANCEL_REQUESTED}),
        Status.PURCHASED: frozenset({Status.PACKED, Status.CANCEL_REQUESTED}),
        Status.CANCEL_REQUESTED: frozenset({Status.PURCHASED, Status.CANCELLED}),
        Status.PACKED: frozenset({Status.SHIPPED, Status.HELD, Status.CANCELLED}),
        Status.SHIPPED: frozenset({Status.TRACKING_PUSHED}),
        Status.TRACKING_PUSHED: frozenset(),
        Status.CANCELLED: frozenset(),
    }
    # Not placed yet: the merchant's mapping or a fix of the order lets it go on.
    UNPLACED = frozenset({Status.WAITING_MAPPING, Status.HELD})
    # Still moving: the sync looks at these.
    MOVING = frozenset(
        {Status.AWAITING_APPROVAL, Status.PAID, Status.PURCHASED, Status.PACKED, Status.SHIPPED}
    )

    connection = models.ForeignKey(
        StoreConnection, verbose_name=_("store"), on_delete=models.CASCADE, related_name="orders"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    external_id = models.CharField(_("store order id"), max_length=80)
    number = models.CharField(_("store order number"), max_length=40)
    customer_name = models.CharField(_("customer"), max_length=200, blank=True)
    email = models.CharField(_("customer email"), max_length=254, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    lines = models.JSONField(_("lines"), default=list, blank=True)
    # What ships from the merchant's stock and what is purchased, per portal product and SKU:
    # [{"product_id", "sku_id", "description", "quantity", "from_stock", "purchased"}].
    allocation = models.JSONField(_("from stock and purchased"), default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        editable=False,
        default=Status.WAITING_MAPPING,
    )
    reason = models.CharField(_("waiting because"), max_length=500, blank=True)
    order = models.OneToOneField(
        Order,
        verbose_name=_("portal order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="store_order",
    )
    parcel = models.ForeignKey(
        Parcel,
        verbose_name=_("parcel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_in_store_at = models.DateTimeField(null=True, blank=True, editable=False)
    tracking_pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    push_attempts = models.PositiveIntegerField(default=0, editable=False)
    push_error = models.CharField(_("push error"), max_length=500, blank=True, editable=False)
    external_fulfillment_id = models.CharField(max_length=120, blank=True, editable=False)

    class Meta:
        verbose_name = _("store order")
        verbose_name_plural = _("store orders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["company", "-created_at", "-id"], name="storeorder_company_newest"
            ),
            models.Index(fields=["status"], name="storeorder_status"),
        ]
        constraints = [
            # One portal order per store order, whatever arrives twice (webhook, poll, retry).
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="storeorder_unique_per_store"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection.name} {self.number}"


class StoreOrderEvent(StatusEvent):
    subject = "store_order"

    store_order = models.ForeignKey(StoreOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=20, choices=StoreOrder.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=StoreOrder.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("store order event")
        verbose_name_plural = _("store order events")


class WebhookReceipt(models.Model):
    """A store webhook taken in, by the platform's delivery id: a redelivery changes nothing."""

    connection = models.ForeignKey(
        StoreConnection, on_delete=models.CASCADE, related_name="webhook_receipts"
    )
    delivery_id = models.CharField(max_length=120)
    topic = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("store webhook received")
        verbose_name_plural = _("store webhooks received")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "delivery_id"], name="storewebhook_unique_delivery"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"


class TrackingPush(Stateful, TimeStampedModel):
    """A carrier event of a store order's parcel passed on to the store after the first
    fulfillment: one row per store order and event, so a replayed event is never pushed twice.
    `event_id` is the logistics tracking event's id (kept as a plain number: logistics is
    below this app and its events are read through it, not linked)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be pushed")
        PUSHED = "pushed", _("Pushed")
        SKIPPED = "skipped", _("Not supported by the store")

    # A failed try stays pending (with its error) for the next; pushed and skipped are final.
    TRANSITIONS = {
        Status.PENDING: frozenset({Status.PUSHED, Status.SKIPPED}),
        Status.PUSHED: frozenset(),
        Status.SKIPPED: frozenset(),
    }
    STATUS_EVENTS = None  # the row itself is the record of one event's push

    store_order = models.ForeignKey(
        StoreOrder, on_delete=models.CASCADE, related_name="tracking_pushes"
    )
    event_id = models.PositiveBigIntegerField(_("tracking event"))
    kind = models.CharField(_("kind"), max_length=20)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING, editable=False
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(_("push error"), max_length=500, blank=True)
    external_id = models.CharField(_("store event id"), max_length=120, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracking event pushed to the store")
        verbose_name_plural = _("tracking events pushed to the store")
        ordering = ["store_order", "event_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store_order", "event_id"], name="trackingpush_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="trackingpush_status")]

    def __str__(self) -> str:
        return f"{self.store_order} {self.kind}"

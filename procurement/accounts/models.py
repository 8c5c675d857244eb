"""Merchant companies, the people in them and the invitations that bring people in."""

import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from procurement.accounts.currencies import WALLET_CURRENCIES


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in by email; merchants and staff alike. There is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Company(TimeStampedModel):
    """A merchant business buying through the platform; every merchant object belongs to one."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    country = CountryField(_("country"))
    wallet_currency = models.CharField(
        _("wallet currency"), max_length=3, choices=WALLET_CURRENCIES
    )
    uses_sourcing = models.BooleanField(
        _("sourcing and purchasing"),
        default=True,
        help_text=_("We find suppliers, buy the goods and inspect them for you."),
    )
    uses_forwarding = models.BooleanField(
        _("logistics forwarding"),
        default=False,
        help_text=_("We receive, store and ship goods, including parcels you send us yourself."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_companies",
        limit_choices_to={"is_staff": True},
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uses_sourcing=True) | Q(uses_forwarding=True),
                name="company_uses_at_least_one_service",
                violation_error_message=_("Choose at least one service."),
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    BUYER = "buyer", _("Buyer")
    APPROVER = "approver", _("Approver")
    FINANCE = "finance", _("Finance")
    VIEWER = "viewer", _("Viewer")


class Membership(TimeStampedModel):
    """A user's place in a company: the role decides what they may do there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.BUYER)
    spending_limit = models.DecimalField(
        _("spending limit"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Orders above this amount, in the company currency, need an approver."),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["company", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(spending_limit__isnull=True) | Q(spending_limit__gte=0),
                name="membership_spending_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TimeStampedModel):
    """An invitation to join a company. Only the token's hash is stored; the link carries it."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.BUYER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


# --- Integrations: API keys, idempotent API requests, outbound webhooks -------------------------


class ApiScope(models.TextChoices):
    CATALOG_READ = "catalog:read", _("Read the catalog and prices")
    ORDERS_READ = "orders:read", _("Read orders and purchase orders")
    ORDERS_WRITE = "orders:write", _("Place and pay orders")
    WALLET_READ = "wallet:read", _("Read wallet balances and statement")
    LOGISTICS_READ = "logistics:read", _("Read stock, parcels and tracking")
    LOGISTICS_WRITE = "logistics:write", _("Create parcels (dropshipping)")
    SOURCING_READ = "sourcing:read", _("Read sourcing requests and quotes")
    SOURCING_WRITE = "sourcing:write", _("Create sourcing requests and accept quotes")


class ApiKey(TimeStampedModel):
    """A bearer token for a company's ERP or shop. Only a hash of the secret is stored; the
    prefix finds the row without comparing every hash."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to an API POST sent with an `Idempotency-Key`, replayed on a retry."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method_path = models.CharField(_("request"), max_length=300)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    response_body = models.JSONField(_("response"), null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="idempotentrequest_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.method_path}"


class WebhookEvent(models.TextChoices):
    ORDER_PAID = "order.paid", _("Order paid")
    PURCHASE_ORDER_EXCEPTION = "purchase_order.exception", _("Purchase order exception")
    GOODS_STOCKED = "goods.stocked", _("Goods stocked")
    PARCEL_SHIPPED = "parcel.shipped", _("Parcel shipped")
    TRACKING_EVENT = "tracking.event", _("Tracking event")
    QUOTE_READY = "quote.ready", _("Quote ready")


class WebhookEndpoint(TimeStampedModel):
    """A URL of the company's that receives the events it chose, signed with its secret."""

    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Needed in clear to sign deliveries; shown to the owner only once, when created.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, tried until it succeeds or runs out of attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


# --- Background work: the task outbox ------------------------------------------------------------


class OutboxTask(models.Model):
    """A Celery task written in the transaction of the change that calls for it.

    `procurement.accounts.outbox` hands it to the broker once that transaction commits;
    `sent_at` stays empty until the broker has accepted it, and the sweeper sends what the
    first try could not. Arguments are primitive ids, never secrets.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweep reads unsent rows, oldest first; partial, so it is only as big as the
            # backlog, not the history.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(sent_at__isnull=True),
                name="outboxtask_unsent_idx",
            ),
            # The purge deletes sent rows past their retention.
            models.Index(fields=["sent_at"], name="outboxtask_sent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task}({', '.join(map(repr, self.args))})"

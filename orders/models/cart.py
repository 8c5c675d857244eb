"""The merchant's cart: one per user and company, lines priced when shown."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    Product,
    Sku,
)
from orders.models.fields import CNY
from procurement.accounts.models import Company
from procurement.core.models import TimeStampedModel


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

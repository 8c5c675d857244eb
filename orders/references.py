"""What "order:12" and "po:7" read as (procurement.core.references)."""

from django.db.models import Expression, F
from django.db.models.functions import Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils.translation import gettext as _

from orders.models import Order, PurchaseOrder
from procurement.core import references
from procurement.core.references import pk_text, sentence, text


def _order_url(order: Order) -> str:
    return reverse("orders:order-detail", args=[order.pk])


def _order_label(prefix: str = "") -> Expression:
    """`str(order)`: its number, or "#<pk>" before it has one."""
    return Coalesce(
        NullIf(F(f"{prefix}number"), text("")),
        Concat(text("#"), pk_text(f"{prefix}pk")),
    )


def _po_label() -> Expression:
    """`str(po)` of `str(po.order)`."""
    return sentence(
        _("%(po)s of order %(order)s"),
        po=Concat(text("PO-"), pk_text()),
        order=_order_label("order__"),
    )


def _po_url(po: PurchaseOrder) -> str:
    return reverse("orders:order-detail", args=[po.order_id])


def register() -> None:
    references.register(
        "order", references.model_resolver(Order, label=_order_label, merchant_url=_order_url)
    )
    references.register(
        "po",
        references.model_resolver(
            PurchaseOrder,
            label=_po_label,
            merchant_url=_po_url,
            company_of=lambda po: po.order.company_id,
            select_related=("order",),
        ),
    )

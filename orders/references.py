"""What "order:12" and "po:7" read as (procurement.core.references)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from orders.models import Order, PurchaseOrder
from procurement.core import references


def _order_url(order: Order) -> str:
    return reverse("orders:order-detail", args=[order.pk])


def _po_label(po: PurchaseOrder) -> str:
    return _("%(po)s of order %(order)s") % {"po": po, "order": po.order}


def _po_url(po: PurchaseOrder) -> str:
    return reverse("orders:order-detail", args=[po.order_id])


def register() -> None:
    references.register(
        "order", references.model_resolver(Order, label=str, merchant_url=_order_url)
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

"""What "parcel:5", "stock:9" and "inbound:2" read as (procurement.core.references)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from logistics.models import InboundParcel, Parcel, StockItem
from procurement.core import references


def register() -> None:
    references.register(
        "parcel",
        references.model_resolver(
            Parcel,
            label=lambda p: _("Parcel %(number)s") % {"number": p.reference},
            merchant_url=lambda p: reverse("logistics:parcel-detail", args=[p.pk]),
        ),
    )
    references.register(
        "stock",
        references.model_resolver(
            StockItem,
            label=lambda item: item.description,
            merchant_url=lambda item: reverse("logistics:stock-detail", args=[item.pk]),
        ),
    )
    references.register(
        "inbound",
        references.model_resolver(
            InboundParcel,
            label=lambda inbound: (
                _("Inbound parcel %(carrier)s %(tracking)s")
                % {"carrier": inbound.carrier, "tracking": inbound.tracking_number}
            ),
            merchant_url=lambda inbound: reverse("logistics:inbound-list"),
        ),
    )

"""What "parcel:5", "stock:9" and "inbound:2" read as (procurement.core.references)."""

from django.db.models import Case, Expression, F, When
from django.db.models.functions import Concat, LPad
from django.urls import reverse
from django.utils.translation import gettext as _

from logistics.models import InboundParcel, Parcel, StockItem
from procurement.core import references
from procurement.core.references import pk_text, sentence, text


def _parcel_label() -> Expression:
    """ "Parcel <Parcel.reference>", the reference being "P" and the pk in at least six digits."""
    number = Case(
        When(pk__lt=1_000_000, then=LPad(pk_text(), 6, text("0"))),
        default=pk_text(),
    )
    return sentence(_("Parcel %(number)s"), number=Concat(text("P"), number))


def _inbound_label() -> Expression:
    return sentence(
        _("Inbound parcel %(carrier)s %(tracking)s"),
        carrier=F("carrier"),
        tracking=F("tracking_number"),
    )


def register() -> None:
    references.register(
        "parcel",
        references.model_resolver(
            Parcel,
            label=_parcel_label,
            merchant_url=lambda p: reverse("logistics:parcel-detail", args=[p.pk]),
        ),
    )
    references.register(
        "stock",
        references.model_resolver(
            StockItem,
            label=lambda: F("description"),
            merchant_url=lambda item: reverse("logistics:stock-detail", args=[item.pk]),
        ),
    )
    references.register(
        "inbound",
        references.model_resolver(
            InboundParcel,
            label=_inbound_label,
            merchant_url=lambda inbound: reverse("logistics:inbound-list"),
        ),
    )

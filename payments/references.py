"""What "topup:4" and "payout:2" read as (procurement.core.references)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from payments.models import PayoutBatch, TopUp
from procurement.core import references


def register() -> None:
    references.register(
        "topup",
        references.model_resolver(
            TopUp,
            label=lambda top_up: _("Top-up no. %(number)s") % {"number": top_up.pk},
            merchant_url=lambda top_up: reverse("payments:top-up-detail", args=[top_up.pk]),
        ),
    )
    references.register(
        "payout",
        references.model_resolver(PayoutBatch, label=str, company_of=lambda batch: None),
    )

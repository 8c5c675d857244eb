"""What "topup:4" and "payout:2" read as (procurement.core.references)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from payments.models import PayoutBatch, TopUp
from procurement.core import references
from procurement.core.references import pk_text, sentence, text


def register() -> None:
    references.register(
        "topup",
        references.model_resolver(
            TopUp,
            label=lambda: sentence(_("Top-up no. %(number)s"), number=pk_text()),
            merchant_url=lambda top_up: reverse("payments:top-up-detail", args=[top_up.pk]),
        ),
    )
    references.register(
        "payout",
        references.model_resolver(
            PayoutBatch,
            # `str(batch)`
            label=lambda: sentence(
                "%(batch)s #%(number)s", batch=text(_("Payout batch")), number=pk_text()
            ),
            company_of=lambda batch: None,
        ),
    )

"""Reads for payments. Other apps show prices through these (DESIGN.md, Layers)."""

from decimal import Decimal

from payments.models import FxRate
from payments.money import quantize


def fx_rate_latest(*, base: str, quote: str) -> FxRate | None:
    return FxRate.objects.filter(base=base, quote=quote).order_by("-as_of", "-pk").first()


def fx_mid_rate(*, from_currency: str, to_currency: str) -> Decimal | None:
    """Mid rate to turn 1 `from_currency` into `to_currency`, directly, inverted or through EUR.

    None when no rate is known. For display only: checkout uses a locked quote instead.
    """
    if from_currency == to_currency:
        return Decimal(1)
    direct = fx_rate_latest(base=from_currency, quote=to_currency)
    if direct:
        return direct.rate
    inverse = fx_rate_latest(base=to_currency, quote=from_currency)
    if inverse:
        return Decimal(1) / inverse.rate
    via_from = fx_rate_latest(base="EUR", quote=from_currency)
    via_to = fx_rate_latest(base="EUR", quote=to_currency)
    if via_from and via_to:
        return via_to.rate / via_from.rate
    return None


def convert_for_display(*, amount: Decimal, from_currency: str, to_currency: str) -> Decimal | None:
    rate = fx_mid_rate(from_currency=from_currency, to_currency=to_currency)
    if rate is None:
        return None
    return quantize(amount * rate, to_currency)

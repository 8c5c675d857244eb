"""What an order will cost before it is placed: goods, freight to the chosen destination by the
chosen channel, the service fee and the FX quote's total, as the checkout shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from catalog.models import Product
from logistics import rates
from logistics.models import Address, ShippingChannel
from orders import conf
from payments import pricing
from payments import selectors as payments_selectors
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company


@dataclass
class FreightEstimate:
    available: bool
    reason: str = ""
    chargeable_weight_kg: Decimal | None = None
    price_cny: Decimal | None = None
    price: Decimal | None = None
    missing_weight: list[str] = field(default_factory=list)


@dataclass
class LandedCost:
    """What the merchant sees before placing an order. Wallet-currency figures here are
    estimates at today's mid rate with the disclosed markup; the order's locked FX quote is what
    is charged."""

    currency: str
    goods_cny: Decimal
    supplier_count: int
    domestic_freight_cny: Decimal
    domestic_freight_per_supplier_cny: Decimal
    mid_rate: Decimal | None  # 1 wallet currency = x CNY
    markup_bps: int
    client_rate: Decimal | None
    goods_local: Decimal | None
    domestic_freight_local: Decimal | None
    markup_local: Decimal | None
    fee: payments_selectors.FeeQuote | None
    fee_local: Decimal | None
    freight: FreightEstimate | None
    # The one price (payments.pricing) the FX quote will charge; None without a rate.
    price: pricing.Price | None = None

    @property
    def total_cny(self) -> Decimal:
        return self.goods_cny + self.domestic_freight_cny

    @property
    def charge_local(self) -> Decimal | None:
        return self.price.charge if self.price else None

    @property
    def total_local(self) -> Decimal | None:
        return self.price.total if self.price else None


def _weights(
    items: list[tuple[Product, int]],
) -> tuple[Decimal, Decimal, list[str]]:
    weight, volume, missing = Decimal(0), Decimal(0), []
    for product, quantity in items:
        if product.weight_kg is None:
            missing.append(product.title_en)
            continue
        weight += product.weight_kg * quantity
        if product.length_cm and product.width_cm and product.height_cm:
            volume += product.length_cm * product.width_cm * product.height_cm * quantity
    return weight, volume, missing


def freight_estimate(
    *,
    items: list[tuple[Product, int]],
    destination: Address | None,
    channel: ShippingChannel | None,
    currency: str,
) -> FreightEstimate | None:
    """International freight for the goods by chargeable weight (logistics.rates), or None when
    no destination and channel were chosen ("shipping chosen later")."""
    if destination is None or channel is None:
        return None
    weight, volume, missing = _weights(items)
    if weight <= 0:
        from django.utils.translation import gettext as _

        return FreightEstimate(
            available=False,
            reason=_("No weights are known for these products yet."),
            missing_weight=missing,
        )
    quote = rates.quote_channel(
        channel=channel,
        destination_country=destination.country.code,
        weight_kg=weight,
        volume_cm3=volume,
        # The products' hazards: the same rule that refuses the parcel later.
        restricted={hazard for product, _quantity in items for hazard in product.hazards or ()},
        currency=currency,
    )
    return FreightEstimate(
        available=quote.available,
        reason=quote.reason,
        chargeable_weight_kg=quote.chargeable_weight_kg,
        price_cny=quote.price_cny,
        price=quote.price,
        missing_weight=missing,
    )


def landed_cost(
    *,
    company: Company,
    goods_cny: Decimal,
    supplier_count: int,
    freight: FreightEstimate | None = None,
) -> LandedCost:
    """Priced by `payments.pricing.price()`, as the order's FX quote will be: at today's rates,
    what is shown here is what the quote charges."""
    currency = company.wallet_currency
    per_supplier = conf.domestic_freight_cny()
    domestic = quantize(per_supplier * supplier_count, SETTLEMENT_CURRENCY)
    total_cny = goods_cny + domestic
    mid = payments_selectors.fx_mid_rate(from_currency=currency, to_currency=SETTLEMENT_CURRENCY)
    markup = (
        0
        if currency == SETTLEMENT_CURRENCY
        else payments_selectors.fx_markup_bps(currency=currency)
    )
    price = fee = None
    if mid:
        usd = payments_selectors.convert_for_display(
            amount=total_cny, from_currency=SETTLEMENT_CURRENCY, to_currency="USD"
        )
        if usd is not None and total_cny > 0:
            fee = payments_selectors.fee_quote(company=company, amount_usd=usd)
        price = pricing.price(
            amount=total_cny,
            currency=currency,
            goods_currency=SETTLEMENT_CURRENCY,
            mid_rate=mid,
            markup_bps=markup,
            fee_bps=fee.rate_bps if fee is not None else 0,
            minimum_fee_usd=fee.minimum_fee_usd if fee is not None else Decimal(0),
            usd_rate=(
                payments_selectors.fx_mid_rate(from_currency="USD", to_currency=currency)
                if fee is not None
                else None
            ),
        )
    return LandedCost(
        currency=currency,
        goods_cny=goods_cny,
        supplier_count=supplier_count,
        domestic_freight_cny=domestic,
        domestic_freight_per_supplier_cny=per_supplier,
        mid_rate=price.mid_rate if price else None,
        markup_bps=markup,
        client_rate=price.client_rate if price else None,
        goods_local=price.at_client_rate(goods_cny) if price else None,
        domestic_freight_local=price.at_client_rate(domestic) if price else None,
        markup_local=price.markup_amount if price else None,
        fee=fee,
        fee_local=price.fee if price and fee is not None else None,
        freight=freight,
        price=price,
    )

"""One price: what buying goods priced in CNY costs a merchant paying from its wallet.

The landed cost shown at checkout (`orders.selectors.landed_cost`) and the FX quote that is then
charged (`payments.services.fx_quote_create`) both call `price()`, so the figure a merchant sees
is the figure taken from the wallet. Pure: plain values in, a frozen `Price` out; no queries.

The rule, in the order it is applied (rounding as in `payments.money`: half away from zero):

* ``mid``    the observed mid rate (1 wallet currency = mid goods currency), rounded to
  `RATE_PLACES` (10) decimals;
* ``client`` mid x (1 - markup), rounded to 10 decimals: the rate the merchant gets;
* ``amount`` the goods, rounded to the goods currency's minor unit;
* ``charge`` amount / client, rounded once to the wallet currency's minor unit;
* ``markup_amount`` charge - (amount / mid, rounded the same way): what the markup costs;
* ``fee``    the larger of charge x fee rate and the minimum fee (USD) x the USD rate, each
  rounded once to the wallet currency's minor unit; the minimum applies only when a USD rate is
  known (it always is for a quote, which is refused without one);
* ``total``  charge + fee, both already rounded: nothing is rounded after the sum.
"""

from dataclasses import dataclass
from decimal import Decimal

from payments.money import bps, quantize, quantize_rate

ZERO = Decimal(0)


@dataclass(frozen=True)
class Price:
    """Buying `amount` of `goods_currency` from a `currency` wallet, every figure rounded."""

    currency: str  # the wallet's: what is paid
    goods_currency: str  # what is bought (CNY)
    amount: Decimal
    mid_rate: Decimal  # 1 `currency` = mid_rate `goods_currency`
    markup_bps: int
    client_rate: Decimal
    charge: Decimal
    markup_amount: Decimal
    fee_bps: int
    fee: Decimal

    @property
    def total(self) -> Decimal:
        """What leaves the wallet: the charge and the service fee."""
        return self.charge + self.fee

    def at_client_rate(self, amount: Decimal) -> Decimal:
        """What `amount` of the goods currency costs at this price's client rate, rounded to the
        wallet currency: the charge's own formula, for showing a part of it (goods, freight)."""
        return quantize(Decimal(amount) / self.client_rate, self.currency)


def price(
    *,
    amount: Decimal,
    currency: str,
    goods_currency: str,
    mid_rate: Decimal,
    markup_bps: int,
    fee_bps: int = 0,
    minimum_fee_usd: Decimal = ZERO,
    usd_rate: Decimal | None = None,
) -> Price:
    """The price of `amount` `goods_currency` paid from a `currency` wallet.

    `mid_rate`: 1 `currency` = mid_rate `goods_currency`, as observed. `usd_rate`: 1 USD =
    usd_rate `currency` (as observed; it is not stored), for the minimum fee; None when unknown.
    """
    mid = quantize_rate(mid_rate)
    if mid <= 0:
        raise ValueError("a mid rate must be positive")
    client = quantize_rate(mid * (1 - bps(markup_bps)))
    amount = quantize(Decimal(amount), goods_currency)
    charge = quantize(amount / client, currency)
    fee = quantize(charge * bps(fee_bps), currency)
    if usd_rate is not None:
        fee = max(fee, quantize(Decimal(minimum_fee_usd) * usd_rate, currency))
    return Price(
        currency=currency,
        goods_currency=goods_currency,
        amount=amount,
        mid_rate=mid,
        markup_bps=markup_bps,
        client_rate=client,
        charge=charge,
        markup_amount=charge - quantize(amount / mid, currency),
        fee_bps=fee_bps,
        fee=fee,
    )

"""Shipping prices by chargeable weight.

Rules (DESIGN.md, Shipping):

- volumetric weight (kg) = length x width x height (cm) / the channel's divisor (5000, 6000, 8000);
- chargeable weight = max(actual, volumetric), rounded UP to the zone's additional-weight unit;
- price (CNY) = first-weight price, plus ceil((chargeable - first weight) / unit) x unit price
  for what is above the first weight;
- above the zone's maximum weight the channel cannot carry the parcel.

Everything is Decimal. CNY prices are exact sums of table prices (already in fen); the merchant's
price is converted once with `payments.selectors.convert_for_display`, which rounds to the
currency's minor unit (ROUND_HALF_UP, payments.money).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from types import EllipsisType

from django.utils.translation import gettext_lazy as _

from logistics.models import RateZone, ShippingChannel
from payments.money import quantize
from payments.selectors import fx_mid_rate
from procurement.core.hazards import hazard_labels
from procurement.core.numbers import plain

SETTLEMENT_CURRENCY = "CNY"


@dataclass(frozen=True)
class Tariff:
    """The numbers of one zone's rate table (also frozen on a parcel when packing is requested)."""

    divisor: int
    first_weight_kg: Decimal
    first_price_cny: Decimal
    additional_unit_kg: Decimal
    additional_price_cny: Decimal
    max_weight_kg: Decimal

    @classmethod
    def of(cls, zone: RateZone) -> "Tariff":
        return cls(
            divisor=zone.channel.volumetric_divisor,
            first_weight_kg=zone.first_weight_kg,
            first_price_cny=zone.first_price_cny,
            additional_unit_kg=zone.additional_unit_kg,
            additional_price_cny=zone.additional_price_cny,
            max_weight_kg=zone.max_weight_kg,
        )

    def as_json(self) -> dict[str, str | int]:
        return {
            "divisor": self.divisor,
            "first_weight_kg": str(self.first_weight_kg),
            "first_price_cny": str(self.first_price_cny),
            "additional_unit_kg": str(self.additional_unit_kg),
            "additional_price_cny": str(self.additional_price_cny),
            "max_weight_kg": str(self.max_weight_kg),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Tariff":
        return cls(
            divisor=int(data["divisor"]),
            **{key: Decimal(data[key]) for key in data if key != "divisor"},
        )


@dataclass(frozen=True)
class ChannelQuote:
    channel: ShippingChannel
    available: bool
    reason: str = ""
    zone: RateZone | None = None
    tariff: Tariff | None = None
    actual_weight_kg: Decimal | None = None
    volumetric_weight_kg: Decimal | None = None
    chargeable_weight_kg: Decimal | None = None
    price_cny: Decimal | None = None
    price: Decimal | None = None  # in `currency`; None when no FX rate is known
    currency: str = SETTLEMENT_CURRENCY
    refused: tuple[str, ...] = ()  # hazards the channel does not carry


def _ceil_to_unit(value: Decimal, unit: Decimal) -> Decimal:
    units = (value / unit).to_integral_value(rounding=ROUND_CEILING)
    return units * unit


def volumetric_weight(*, volume_cm3: Decimal, divisor: int) -> Decimal:
    return Decimal(volume_cm3) / Decimal(divisor)


def chargeable_weight(*, weight_kg: Decimal, volume_cm3: Decimal, tariff: Tariff) -> Decimal:
    billed = max(
        Decimal(weight_kg), volumetric_weight(volume_cm3=volume_cm3, divisor=tariff.divisor)
    )
    return _ceil_to_unit(billed, tariff.additional_unit_kg)


def freight_price_cny(*, chargeable_kg: Decimal, tariff: Tariff) -> Decimal:
    extra = chargeable_kg - tariff.first_weight_kg
    if extra <= 0:
        return tariff.first_price_cny
    units = (extra / tariff.additional_unit_kg).to_integral_value(rounding=ROUND_CEILING)
    return tariff.first_price_cny + units * tariff.additional_price_cny


def zone_for(channel: ShippingChannel, country: str) -> RateZone | None:
    """The channel's zone for `country`; uses prefetched zones when there are some."""
    for zone in channel.zones.all():
        if country in {c.code for c in zone.countries}:
            return zone
    return None


def cny_rate(currency: str) -> Decimal | None:
    """Mid rate of 1 CNY in `currency` (None when unknown), read once per quote list."""
    return fx_mid_rate(from_currency=SETTLEMENT_CURRENCY, to_currency=currency)


def from_cny(amount_cny: Decimal, *, currency: str, rate: Decimal | None) -> Decimal | None:
    """Same rule as payments.selectors.convert_for_display: one rounding, to the minor unit."""
    if rate is None:
        return None
    return quantize(amount_cny * rate, currency)


def price_with_tariff(
    *,
    tariff: Tariff,
    weight_kg: Decimal,
    volume_cm3: Decimal,
    currency: str,
    rate: Decimal | EllipsisType | None = ...,
) -> tuple[Decimal, Decimal, Decimal | None]:
    """(chargeable kg, price in CNY, price in `currency`) for a parcel under a known tariff.

    `rate` is CNY -> `currency` when the caller already read it (None: unknown); left out, it
    is read here.
    """
    chargeable = chargeable_weight(weight_kg=weight_kg, volume_cm3=volume_cm3, tariff=tariff)
    price_cny = freight_price_cny(chargeable_kg=chargeable, tariff=tariff)
    if rate is ...:
        rate = cny_rate(currency)
    return chargeable, price_cny, from_cny(price_cny, currency=currency, rate=rate)


def quote_channel(
    *,
    channel: ShippingChannel,
    destination_country: str,
    weight_kg: Decimal,
    volume_cm3: Decimal,
    restricted: Iterable[str] = (),
    currency: str = SETTLEMENT_CURRENCY,
    rate: Decimal | EllipsisType | None = ...,
) -> ChannelQuote:
    """Price one channel for a parcel, or say why it cannot carry it."""
    country = (destination_country or "").upper()
    weight_kg = Decimal(weight_kg)
    volume_cm3 = Decimal(volume_cm3)
    if not channel.is_active:
        return ChannelQuote(channel, False, str(_("This channel is not in service.")))
    if country not in channel.country_codes:
        return ChannelQuote(channel, False, str(_("Does not deliver to this destination.")))
    refused = channel.refused_hazards(restricted)
    if refused:
        return ChannelQuote(
            channel,
            False,
            str(_("Does not carry: %(goods)s.") % {"goods": hazard_labels(refused).lower()}),
            refused=tuple(refused),
        )
    zone = zone_for(channel, country)
    if zone is None:
        return ChannelQuote(channel, False, str(_("No rate for this destination.")))
    tariff = Tariff.of(zone)
    volumetric = volumetric_weight(volume_cm3=volume_cm3, divisor=tariff.divisor)
    chargeable, price_cny, price = price_with_tariff(
        tariff=tariff, weight_kg=weight_kg, volume_cm3=volume_cm3, currency=currency, rate=rate
    )
    if chargeable > tariff.max_weight_kg:
        return ChannelQuote(
            channel,
            False,
            str(
                _("Too heavy: %(weight)s kg chargeable, this channel takes up to %(max)s kg.")
                % {"weight": plain(chargeable), "max": plain(tariff.max_weight_kg)}
            ),
            zone=zone,
            actual_weight_kg=weight_kg,
            volumetric_weight_kg=volumetric,
            chargeable_weight_kg=chargeable,
            currency=currency,
        )
    return ChannelQuote(
        channel,
        True,
        zone=zone,
        tariff=tariff,
        actual_weight_kg=weight_kg,
        volumetric_weight_kg=volumetric,
        chargeable_weight_kg=chargeable,
        price_cny=price_cny,
        price=price,
        currency=currency,
    )


def channel_refusal(
    *, channel: ShippingChannel, destination_country: str, restricted: Iterable[str] = ()
) -> str:
    """Why `channel` cannot carry goods with these hazards to this country, weight aside, or
    "" when it can: the first checks of `quote_channel` (in service, destination served, the
    hazards it carries, a rate for the destination), for rules chosen before a parcel exists."""
    quote = quote_channel(
        channel=channel,
        destination_country=destination_country,
        weight_kg=Decimal(0),
        volume_cm3=Decimal(0),
        restricted=restricted,
        rate=None,
    )
    return "" if quote.available else quote.reason


def quote_channels(
    *,
    destination_country: str,
    weight_kg: Decimal,
    length_cm: Decimal,
    width_cm: Decimal,
    height_cm: Decimal,
    restricted: set[str],
    currency: str,
    channels: Iterable[ShippingChannel] | None = None,
) -> list[ChannelQuote]:
    """Every active channel priced for one box: available ones cheapest first, then the others
    with the reason they cannot carry it."""
    if channels is None:
        channels = ShippingChannel.objects.filter(is_active=True).prefetch_related("zones")
    volume = Decimal(length_cm) * Decimal(width_cm) * Decimal(height_cm)
    rate = cny_rate(currency)
    quotes = [
        quote_channel(
            channel=channel,
            destination_country=destination_country,
            weight_kg=weight_kg,
            volume_cm3=volume,
            restricted=restricted,
            currency=currency,
            rate=rate,
        )
        for channel in channels
    ]
    return sorted(
        quotes,
        key=lambda q: (not q.available, q.price_cny or Decimal(0), q.channel.transit_days_max),
    )

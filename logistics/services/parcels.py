"""Parcels: picking stock into a draft, requesting packing, packing, shipping, cancelling."""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import conf, rates, signals
from logistics.exceptions import ChannelUnavailable, LogisticsError, StockUnavailable
from logistics.models import Address, FreightCharge, Parcel, ParcelEvent, ShippingChannel, StockItem
from logistics.services.charges import freight_charge_record, parcel_charges_refund
from payments.money import quantize
from procurement.accounts.models import Company, User
from procurement.core import states
from procurement.core.outbox import outbox_enqueue
from procurement.core.webhooks import webhook_event_emit

_STATUS_TIMESTAMPS = {
    Parcel.Status.PACKED: "packed_at",
    Parcel.Status.SHIPPED: "shipped_at",
    Parcel.Status.DELIVERED: "delivered_at",
}


def parcel_step(
    parcel: Parcel,
    *,
    to: str,
    actor: User | None,
    note: str = "",
    changes: dict | None = None,
    notify: bool = True,
) -> ParcelEvent:
    """Move a parcel the caller has locked one step along `Parcel.TRANSITIONS`, saving `changes`
    with it and stamping when it was packed, shipped or delivered. An exception status (customs
    hold, returned, lost) queues the merchant's mail on commit, unless the caller tells the
    merchant itself (`notify=False`: tracking mails once per parcel and kind)."""
    changes = dict(changes or {})
    stamp = _STATUS_TIMESTAMPS.get(to)
    if stamp:
        changes[stamp] = timezone.now()
    event = states.apply(parcel, to=to, actor=actor, reason=note, changes=changes)
    if notify and to in Parcel.EXCEPTIONS:
        outbox_enqueue(task="logistics.tasks.parcel_exception_mail", args=[parcel.pk])
    return event


@transaction.atomic
def parcel_transition(
    *, parcel: Parcel, to_status: str, actor: User | None, note: str = ""
) -> Parcel:
    """The guarded step for moves with no other data (tracking, staff corrections)."""
    parcel = states.lock(parcel)
    parcel_step(parcel, to=to_status, actor=actor, note=note)
    return parcel


def _check_destination(company: Company, destination: Address, channel: ShippingChannel) -> None:
    if destination.company_id != company.pk or destination.is_archived:
        raise LogisticsError(_("Choose an address from your address book."))
    if not company.uses_forwarding and (
        destination.kind not in Address.CHINA_KINDS
        or channel.service != ShippingChannel.Service.DOMESTIC
    ):
        raise LogisticsError(
            _(
                "Without the forwarding service, parcels go by domestic delivery to your own "
                "forwarder or a domestic warehouse in China."
            )
        )


def parcel_contents(items: Sequence[StockItem]) -> tuple[Decimal, Decimal, set[str]]:
    """(total weight kg, total volume cm3, restricted goods) of items packed together."""
    weight = sum((item.weight_kg for item in items), Decimal(0))
    volume = sum((item.volume_cm3 for item in items), Decimal(0))
    restricted = {goods for item in items for goods in item.restricted_goods}
    return weight, volume, restricted


def parcel_quote(*, parcel: Parcel, items: Sequence[StockItem] | None = None) -> rates.ChannelQuote:
    """The parcel's freight as it would be priced now, from its items' declared measures."""
    items = list(parcel.items.all()) if items is None else items
    weight, volume, restricted = parcel_contents(items)
    return rates.quote_channel(
        channel=parcel.channel,
        destination_country=parcel.destination.country.code,
        weight_kg=weight,
        volume_cm3=volume,
        restricted=restricted,
        currency=parcel.currency,
    )


def _insurance_fee(insured_value: Decimal | None, currency: str) -> Decimal | None:
    if not insured_value:
        return None
    return quantize(insured_value * conf.insurance_rate(), currency)


@transaction.atomic
def parcel_create(
    *,
    company: Company,
    actor: User,
    destination: Address,
    channel: ShippingChannel,
    item_ids: Sequence[int],
    insured_value: Decimal | None = None,
) -> Parcel:
    """A draft parcel holding the chosen stock items (they are reserved for it)."""
    if not item_ids:
        raise LogisticsError(_("Choose at least one stock item."))
    _check_destination(company, destination, channel)
    # Locked in primary-key order so two parcels picking overlapping items cannot deadlock.
    items = list(
        StockItem.objects.select_for_update()
        .filter(pk__in=set(item_ids), company=company)
        .order_by("pk")
    )
    if len(items) != len(set(item_ids)) or any(
        item.status != StockItem.Status.IN_STOCK for item in items
    ):
        raise StockUnavailable
    warehouses = {item.warehouse_id for item in items}
    if len(warehouses) > 1:
        raise LogisticsError(_("Items in one parcel must be stored in the same warehouse."))
    if insured_value is not None and insured_value < 0:
        raise LogisticsError(_("The insured value cannot be negative."))
    parcel = Parcel.objects.create(
        company=company,
        warehouse_id=warehouses.pop(),
        destination=destination,
        channel=channel,
        created_by=actor,
        currency=company.wallet_currency,
        insured_value=insured_value or None,
        insurance_fee=_insurance_fee(insured_value, company.wallet_currency),
    )
    quote = parcel_quote(parcel=parcel, items=items)
    if not quote.available:
        raise ChannelUnavailable(quote.reason)
    StockItem.objects.filter(pk__in=[item.pk for item in items]).update(
        status=StockItem.Status.RESERVED, parcel=parcel, updated_at=timezone.now()
    )
    ParcelEvent.objects.create(
        parcel=parcel,
        actor=actor,
        from_status=Parcel.Status.DRAFT,
        to_status=Parcel.Status.DRAFT,
        reason=_("Created with %(n)s items") % {"n": len(items)},
    )
    return parcel


@transaction.atomic
def parcel_request_packing(*, parcel: Parcel, actor: User) -> Parcel:
    """The merchant asks us to pack: the estimate is fixed with today's tariff and charged."""
    parcel = states.lock(parcel)
    items = list(parcel.items.order_by("pk"))
    if not items:
        raise LogisticsError(_("The parcel has no items."))
    quote = parcel_quote(parcel=parcel, items=items)
    if not quote.available:
        raise ChannelUnavailable(quote.reason)
    weight, _volume, _restricted = parcel_contents(items)
    parcel_step(
        parcel,
        to=Parcel.Status.PACKING_REQUESTED,
        actor=actor,
        changes={
            "rate_snapshot": quote.tariff.as_json(),
            "estimated_weight_kg": weight,
            "estimated_chargeable_kg": quote.chargeable_weight_kg,
            "estimated_freight_cny": quote.price_cny,
            "estimated_freight": quote.price,
        },
    )
    # A parcel sent back to draft and requested again is charged again (its first charges
    # were refunded), so the keys count the requests.
    attempt = parcel.events.filter(to_status=Parcel.Status.PACKING_REQUESTED).count()
    freight_charge_record(
        parcel,
        kind=FreightCharge.Kind.ESTIMATE,
        amount_cny=quote.price_cny,
        amount=quote.price,
        key=f"parcel:{parcel.pk}:estimate:{attempt}",
        actor=actor,
        strict=True,
    )
    if parcel.insurance_fee:
        freight_charge_record(
            parcel,
            kind=FreightCharge.Kind.INSURANCE,
            amount_cny=Decimal(0),
            amount=parcel.insurance_fee,
            key=f"parcel:{parcel.pk}:insurance:{attempt}",
            actor=actor,
            strict=True,
        )
    return parcel


def _release_items(parcel: Parcel) -> None:
    StockItem.objects.filter(parcel=parcel).update(
        status=StockItem.Status.IN_STOCK, parcel=None, updated_at=timezone.now()
    )


@transaction.atomic
def parcel_send_back(*, parcel: Parcel, actor: User, reason: str) -> Parcel:
    """Packing requested -> draft (by the merchant or staff), refunding the estimate."""
    parcel = states.lock(parcel)
    parcel_step(parcel, to=Parcel.Status.DRAFT, actor=actor, note=reason)
    parcel_charges_refund(parcel=parcel, actor=actor)
    return parcel


@transaction.atomic
def parcel_cancel(*, parcel: Parcel, actor: User, reason: str = "") -> Parcel:
    """Cancel a parcel that has not been packed: its items go back to stock."""
    parcel = states.lock(parcel)
    parcel_step(parcel, to=Parcel.Status.CANCELLED, actor=actor, note=reason)
    _release_items(parcel)
    parcel_charges_refund(parcel=parcel, actor=actor)
    return parcel


@transaction.atomic
def parcel_pack(
    *,
    parcel: Parcel,
    actor: User,
    weight_kg: Decimal,
    length_cm: Decimal,
    width_cm: Decimal,
    height_cm: Decimal,
) -> Parcel:
    """Warehouse staff record the packed box. Freight is priced again with the tariff fixed at
    the request, and the difference from the estimate is charged (or refunded)."""
    parcel = states.lock(parcel)
    measures = [Decimal(weight_kg), Decimal(length_cm), Decimal(width_cm), Decimal(height_cm)]
    if any(value <= 0 for value in measures):
        raise LogisticsError(_("Weight and sizes must be greater than zero."))
    # Checked before pricing: only a parcel whose packing was requested has a tariff fixed.
    if not parcel.can_become(Parcel.Status.PACKED):
        raise states.refusal(parcel, Parcel.Status.PACKED)
    tariff = rates.Tariff.from_json(parcel.rate_snapshot)
    volume = measures[1] * measures[2] * measures[3]
    chargeable, price_cny, price = rates.price_with_tariff(
        tariff=tariff, weight_kg=measures[0], volume_cm3=volume, currency=parcel.currency
    )
    if chargeable > tariff.max_weight_kg:
        raise ChannelUnavailable(
            _(
                "The packed parcel weighs %(weight)s kg chargeable, above this channel's "
                "%(max)s kg. Send it back to the merchant to choose another channel."
            )
            % {"weight": chargeable, "max": tariff.max_weight_kg}
        )
    weight, length, width, height = measures
    parcel_step(
        parcel,
        to=Parcel.Status.PACKED,
        actor=actor,
        changes={
            "actual_weight_kg": weight,
            "length_cm": length,
            "width_cm": width,
            "height_cm": height,
            "actual_chargeable_kg": chargeable,
            "actual_freight_cny": price_cny,
            "actual_freight": price,
        },
    )
    difference_cny = parcel.freight_difference_cny
    if difference_cny:
        freight_charge_record(
            parcel,
            kind=FreightCharge.Kind.ADJUSTMENT,
            amount_cny=difference_cny,
            amount=parcel.freight_difference,
            key=f"parcel:{parcel.pk}:adjustment",
            actor=actor,
        )
    return parcel


@transaction.atomic
def parcel_ship(*, parcel: Parcel, actor: User, tracking_number: str) -> Parcel:
    """Hand the packed parcel to the carrier; the number is registered for tracking on commit."""
    number = "".join(tracking_number.split()).upper()
    if not number:
        raise LogisticsError(_("Enter the carrier's tracking number."))
    parcel = states.lock(parcel)
    clash = (
        Parcel.objects.filter(channel_id=parcel.channel_id, tracking_number=number)
        .exclude(pk=parcel.pk)
        .exists()
    )
    if clash:
        raise LogisticsError(_("Another parcel already has this tracking number."))
    parcel_step(
        parcel,
        to=Parcel.Status.SHIPPED,
        actor=actor,
        note=number,
        changes={"tracking_number": number},
    )
    StockItem.objects.filter(parcel=parcel).update(
        status=StockItem.Status.SHIPPED, updated_at=timezone.now()
    )
    outbox_enqueue(task="logistics.tasks.tracking_register", args=[parcel.pk])
    webhook_event_emit(
        company=parcel.company,
        event="parcel.shipped",
        payload={
            "parcel_id": parcel.pk,
            "reference": parcel.reference,
            "tracking_number": parcel.tracking_number,
            "shipped_at": parcel.shipped_at,
        },
    )
    parcel_id = parcel.pk
    transaction.on_commit(
        lambda: signals.parcel_shipped.send(sender=Parcel, parcel_id=parcel_id), robust=True
    )
    return parcel

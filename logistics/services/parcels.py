"""Parcels: picking stock into a draft, requesting packing, packing, shipping, cancelling."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from logistics import conf, rates, signals
from logistics.exceptions import ChannelUnavailable, LogisticsError, StockUnavailable
from logistics.models import (
    Address,
    FreightCharge,
    Parcel,
    ParcelBox,
    ParcelEvent,
    ShippingChannel,
    StockItem,
)
from logistics.services.charges import freight_charge_record, parcel_charges_refund
from logistics.services.customs import (
    declaration_build,
    declaration_check,
    declaration_gross_weights_spread,
    documents_stale,
)
from payments import pricing
from payments.money import quantize
from payments.selectors import fx_markup_bps, fx_mid_rate
from procurement.accounts.models import Company, User
from procurement.core import states
from procurement.core.hazards import hazard_labels
from procurement.core.numbers import plain
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase
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


def hazards_refused(
    *, channel: ShippingChannel, items: Sequence[StockItem]
) -> list[tuple[StockItem, list[str]]]:
    """The items `channel` refuses, each with the hazards it does not carry (the channel's one
    rule, `ShippingChannel.refused_hazards`)."""
    refused = []
    for item in items:
        hazards = channel.refused_hazards(item.restricted_goods)
        if hazards:
            refused.append((item, hazards))
    return refused


def hazards_check(*, channel: ShippingChannel, items: Sequence[StockItem]) -> None:
    refused = hazards_refused(channel=channel, items=items)
    if refused:
        raise ChannelUnavailable(
            " ".join(
                _("Item #%(pk)s (%(description)s): %(channel)s does not carry %(goods)s.")
                % {
                    "pk": item.pk,
                    "description": item.description,
                    "channel": channel,
                    "goods": hazard_labels(hazards).lower(),
                }
                for item, hazards in refused
            )
        )


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
    customer_reference: str = "",
    brand_name: str = "",
) -> Parcel:
    """A draft parcel holding the chosen stock items (they are reserved for it). A parcel to
    an end customer may carry the customer's order number and the brand name its neutral
    packing slip prints (a store order's number and the store's brand)."""
    if not item_ids:
        raise LogisticsError(_("Choose at least one stock item."))
    _check_destination(company, destination, channel)
    if (customer_reference or brand_name) and destination.kind != Address.Kind.END_CUSTOMER:
        raise LogisticsError(_("Only a parcel to an end customer has a packing slip."))
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
    hazards_check(channel=channel, items=items)
    parcel = Parcel.objects.create(
        company=company,
        warehouse_id=warehouses.pop(),
        destination=destination,
        channel=channel,
        created_by=actor,
        currency=company.wallet_currency,
        insured_value=insured_value or None,
        insurance_fee=_insurance_fee(insured_value, company.wallet_currency),
        customer_reference=customer_reference.strip()[:40],
        brand_name=brand_name.strip()[:120],
    )
    quote = parcel_quote(parcel=parcel, items=items)
    if not quote.available:
        raise ChannelUnavailable(quote.reason)
    StockItem.objects.filter(pk__in=[item.pk for item in items]).update(
        status=StockItem.Status.RESERVED, parcel=parcel, updated_at=timezone.now()
    )
    declaration_build(parcel=parcel, items=items)
    ParcelEvent.objects.create(
        parcel=parcel,
        actor=actor,
        from_status=Parcel.Status.DRAFT,
        to_status=Parcel.Status.DRAFT,
        reason=phrase("Created with %(n)s items", n=len(items)),
    )
    return parcel


@transaction.atomic
def parcel_items_add(*, parcel: Parcel, actor: User | None, item_ids: Sequence[int]) -> Parcel:
    """Put more stock items into a draft parcel (goods bought for a dropship order joining the
    units already reserved from stock): the same checks as creating it, then the declaration
    is built again from every item."""
    parcel = states.lock(parcel)
    if parcel.status != Parcel.Status.DRAFT:
        raise LogisticsError(
            _("Parcel %(ref)s is %(status)s: items are added to a draft only.")
            % {"ref": parcel.reference, "status": parcel.get_status_display().lower()}
        )
    if not item_ids:
        raise LogisticsError(_("Choose at least one stock item."))
    items = list(
        StockItem.objects.select_for_update()
        .filter(pk__in=set(item_ids), company_id=parcel.company_id)
        .order_by("pk")
    )
    if len(items) != len(set(item_ids)) or any(
        item.status != StockItem.Status.IN_STOCK for item in items
    ):
        raise StockUnavailable
    if any(item.warehouse_id != parcel.warehouse_id for item in items):
        raise LogisticsError(_("Items in one parcel must be stored in the same warehouse."))
    hazards_check(channel=parcel.channel, items=items)
    everything = [*parcel.items.order_by("pk"), *items]
    quote = parcel_quote(parcel=parcel, items=everything)
    if not quote.available:
        raise ChannelUnavailable(quote.reason)
    StockItem.objects.filter(pk__in=[item.pk for item in items]).update(
        status=StockItem.Status.RESERVED, parcel=parcel, updated_at=timezone.now()
    )
    declaration_build(parcel=parcel, items=everything)
    ParcelEvent.objects.create(
        parcel=parcel,
        actor=actor,
        from_status=Parcel.Status.DRAFT,
        to_status=Parcel.Status.DRAFT,
        reason=ngettext("%(n)s item added", "%(n)s items added", len(items)) % {"n": len(items)},
    )
    return parcel


@dataclass(frozen=True)
class PackingCharge:
    """What "Request packing" takes from the wallet: the freight estimate at today's tariff,
    bought at the client rate the ledger will use (payments.pricing, mid rate less the disclosed
    markup), and the insurance fee, in the wallet's currency. The difference after weighing is
    settled when the parcel is packed."""

    quote: rates.ChannelQuote
    price: pricing.Price | None  # None: the channel cannot carry it, or no rate is known
    insurance: Decimal | None
    currency: str

    @property
    def freight(self) -> Decimal | None:
        return self.price.charge if self.price else None

    @property
    def total(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.price.charge + (self.insurance or Decimal(0))


def parcel_packing_charge(
    *, parcel: Parcel, items: Sequence[StockItem] | None = None
) -> PackingCharge:
    """The charge `parcel_request_packing` will make, for the page to state before the merchant
    confirms: the same quote, priced by the formula the ledger charges with."""
    quote = parcel_quote(parcel=parcel, items=items)
    price = None
    mid = fx_mid_rate(from_currency=parcel.currency, to_currency=rates.SETTLEMENT_CURRENCY)
    if quote.available and mid:
        price = pricing.price(
            amount=quote.price_cny,
            currency=parcel.currency,
            goods_currency=rates.SETTLEMENT_CURRENCY,
            mid_rate=mid,
            markup_bps=(
                0
                if parcel.currency == rates.SETTLEMENT_CURRENCY
                else fx_markup_bps(currency=parcel.currency)
            ),
        )
    return PackingCharge(
        quote=quote, price=price, insurance=parcel.insurance_fee, currency=parcel.currency
    )


@transaction.atomic
def parcel_request_packing(*, parcel: Parcel, actor: User) -> Parcel:
    """The merchant asks us to pack: the estimate is fixed with today's tariff and charged."""
    parcel = states.lock(parcel)
    items = list(parcel.items.order_by("pk"))
    if not items:
        raise LogisticsError(_("The parcel has no items."))
    hazards_check(channel=parcel.channel, items=items)
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


@dataclass(frozen=True)
class Box:
    """One packed box as staff weigh and measure it."""

    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm


def boxes_chargeable(
    *, boxes: Sequence[Box], tariff: rates.Tariff, max_box_kg: Decimal | None
) -> list[Decimal]:
    """Each box's chargeable weight under the carrier's rule (the greater of actual and
    volumetric, rounded up to the tariff's unit), box by box, as express carriers bill pieces.
    A box heavier than the channel's limit per piece is refused by its number."""
    limit = max_box_kg or tariff.max_weight_kg
    chargeable = []
    for number, box in enumerate(boxes, start=1):
        if any(value <= 0 for value in (box.weight_kg, box.length_cm, box.width_cm, box.height_cm)):
            raise LogisticsError(
                _("Box %(n)s: weight and sizes must be greater than zero.") % {"n": number}
            )
        if box.weight_kg > limit:
            raise ChannelUnavailable(
                _(
                    "Box %(n)s weighs %(weight)s kg, above this channel's %(max)s kg per box. "
                    "Split it or send the parcel back for another channel."
                )
                % {
                    "n": number,
                    "weight": plain(box.weight_kg),
                    "max": plain(limit),
                }
            )
        chargeable.append(
            rates.chargeable_weight(
                weight_kg=box.weight_kg, volume_cm3=box.volume_cm3, tariff=tariff
            )
        )
    return chargeable


@transaction.atomic
def parcel_pack(
    *,
    parcel: Parcel,
    actor: User,
    boxes: Sequence[Box] = (),
    weight_kg: Decimal | None = None,
    length_cm: Decimal | None = None,
    width_cm: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> Parcel:
    """Warehouse staff record the packed boxes (or one box by its measures). The declaration
    must be complete; freight is priced again with the tariff fixed at the request, on the sum
    of the boxes' chargeable weights, and the difference from the estimate is charged (or
    refunded)."""
    parcel = states.lock(parcel)
    if not boxes:
        if None in (weight_kg, length_cm, width_cm, height_cm):
            raise LogisticsError(_("Record at least one box."))
        boxes = [Box(Decimal(weight_kg), Decimal(length_cm), Decimal(width_cm), Decimal(height_cm))]
    boxes = [
        Box(Decimal(b.weight_kg), Decimal(b.length_cm), Decimal(b.width_cm), Decimal(b.height_cm))
        for b in boxes
    ]
    # Checked before pricing: only a parcel whose packing was requested has a tariff fixed.
    if not parcel.can_become(Parcel.Status.PACKED):
        raise states.refusal(parcel, Parcel.Status.PACKED)
    declaration_check(parcel=parcel)
    tariff = rates.Tariff.from_json(parcel.rate_snapshot)
    per_box = boxes_chargeable(
        boxes=boxes, tariff=tariff, max_box_kg=parcel.channel.max_box_weight_kg
    )
    chargeable = sum(per_box, Decimal(0))
    if chargeable > tariff.max_weight_kg * len(boxes):
        raise ChannelUnavailable(
            _(
                "The packed parcel weighs %(weight)s kg chargeable, above this channel's "
                "%(max)s kg. Send it back to the merchant to choose another channel."
            )
            % {"weight": chargeable, "max": tariff.max_weight_kg}
        )
    price_cny = rates.freight_price_cny(chargeable_kg=chargeable, tariff=tariff)
    price = rates.from_cny(
        price_cny, currency=parcel.currency, rate=rates.cny_rate(parcel.currency)
    )
    weight = sum((box.weight_kg for box in boxes), Decimal(0))
    single = boxes[0] if len(boxes) == 1 else None
    parcel_step(
        parcel,
        to=Parcel.Status.PACKED,
        actor=actor,
        note=ngettext("%(n)s box", "%(n)s boxes", len(boxes)) % {"n": len(boxes)},
        changes={
            "actual_weight_kg": weight,
            "length_cm": single.length_cm if single else None,
            "width_cm": single.width_cm if single else None,
            "height_cm": single.height_cm if single else None,
            "actual_chargeable_kg": chargeable,
            "actual_freight_cny": price_cny,
            "actual_freight": price,
        },
    )
    ParcelBox.objects.bulk_create(
        ParcelBox(
            parcel=parcel,
            number=number,
            weight_kg=box.weight_kg,
            length_cm=box.length_cm,
            width_cm=box.width_cm,
            height_cm=box.height_cm,
            chargeable_kg=box_chargeable,
        )
        for number, (box, box_chargeable) in enumerate(zip(boxes, per_box, strict=True), start=1)
    )
    declaration_gross_weights_spread(parcel=parcel, packed_weight_kg=weight)
    documents_stale(parcel)
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
    documents_stale(parcel)  # the tracking number is printed
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

"""Every write in logistics: addresses, stock, inbound parcels, parcels, tracking, storage fees.

Orders (a higher layer) call `stock_receive` with data copied at the boundary and an opaque
source reference ("po:12"). Views, admin actions and tasks call these same functions.
"""

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import conf, rates
from logistics.adapters.tracking import CarrierEvent, TrackingUpdate, tracking_adapter
from logistics.exceptions import (
    ChannelUnavailable,
    LogisticsError,
    StockUnavailable,
    TransitionNotAllowed,
    WebhookRejected,
)
from logistics.models import (
    Address,
    FreightCharge,
    InboundParcel,
    InboundParcelEvent,
    Parcel,
    ParcelEvent,
    RestrictedGoods,
    ShippingChannel,
    StockItem,
    StockPhoto,
    StorageCharge,
    TrackingEvent,
    Warehouse,
)
from logistics.photos import photo_check
from payments import exceptions as payment_errors
from payments import services as payments
from payments.models import Account, LedgerTransaction
from payments.money import quantize
from procurement.accounts.models import Company, Role, User
from procurement.core.outbox import outbox_enqueue
from procurement.core.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)

ADDRESS_FIELDS = (
    "kind",
    "name",
    "company_name",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postcode",
    "country",
)


# --- Addresses -----------------------------------------------------------------------------------


@transaction.atomic
def address_create(*, company: Company, **fields) -> Address:
    address = Address(company=company, **{key: fields.get(key, "") for key in ADDRESS_FIELDS})
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_update(*, address: Address, **fields) -> Address:
    address = Address.objects.select_for_update().get(pk=address.pk)
    for key in ADDRESS_FIELDS:
        if key in fields:
            setattr(address, key, fields[key])
    address.full_clean()
    address.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
    return address


@transaction.atomic
def address_archive(*, address: Address) -> Address:
    """Hide an address from the book. Parcels that went there keep pointing at it."""
    address = Address.objects.select_for_update().get(pk=address.pk)
    address.is_archived = True
    address.save(update_fields=["is_archived", "updated_at"])
    return address


# --- Stock ---------------------------------------------------------------------------------------


def _check_restricted(values: Iterable[str]) -> list[str]:
    values = sorted(set(values))
    unknown = [value for value in values if value not in RestrictedGoods.values]
    if unknown:
        raise ValidationError(_("Unknown restricted goods: %(v)s") % {"v": ", ".join(unknown)})
    return values


@transaction.atomic
def stock_photo_add(*, item: StockItem, upload: UploadedFile, caption: str = "") -> StockPhoto:
    checked = photo_check(upload)
    photo = StockPhoto(item=item, caption=caption[:200])
    photo.image.save(checked.image.name, checked.image, save=False)
    photo.thumbnail.save(checked.thumbnail.name, checked.thumbnail, save=False)
    photo.save()
    return photo


@transaction.atomic
def stock_receive(
    *,
    company: Company,
    warehouse: Warehouse,
    description: str,
    quantity: int,
    weight_kg: Decimal,
    length_cm: Decimal,
    width_cm: Decimal,
    height_cm: Decimal,
    source_reference: str,
    inspection_summary: str = "",
    restricted_goods: Iterable[str] = (),
    photos: Sequence[UploadedFile] = (),
    arrived_at: datetime | None = None,
    receipt_key: str | None = None,
) -> StockItem:
    """Put goods that arrived (and passed inspection) into the company's stock.

    Idempotent by `receipt_key` (e.g. "po:12:line:3"): calling again with the same key returns
    the item made the first time and adds nothing. Photos are checked (PhotoRejected).
    """
    if receipt_key:
        existing = StockItem.objects.filter(receipt_key=receipt_key).first()
        if existing is not None:
            return existing
    arrived_at = arrived_at or timezone.now()
    item = StockItem(
        company=company,
        warehouse=warehouse,
        description=description.strip()[:300],
        quantity=quantity,
        weight_kg=Decimal(weight_kg),
        length_cm=Decimal(length_cm),
        width_cm=Decimal(width_cm),
        height_cm=Decimal(height_cm),
        restricted_goods=_check_restricted(restricted_goods),
        inspection_summary=inspection_summary,
        source_reference=source_reference,
        receipt_key=receipt_key or None,
        arrived_at=arrived_at,
        free_storage_until=timezone.localdate(arrived_at)
        + timedelta(days=conf.free_storage_days()),
    )
    item.full_clean(exclude=["parcel"])
    item.save()
    for upload in photos:
        stock_photo_add(item=item, upload=upload)
    webhook_event_emit(
        company=company,
        event="goods.stocked",
        payload={
            "stock_item_id": item.pk,
            "description": item.description,
            "quantity": item.quantity,
            "warehouse": warehouse.code,
            "source_reference": item.source_reference,
            "arrived_at": item.arrived_at,
        },
    )
    return item


# --- Inbound parcels (forwarding only) -----------------------------------------------------------


def _inbound_transition(
    inbound: InboundParcel, *, to: str, actor: User | None, note: str = ""
) -> None:
    """`inbound` must be locked by the caller."""
    if to not in InboundParcel.TRANSITIONS[inbound.status]:
        raise LogisticsError(
            _("This inbound parcel is %(status)s and cannot change now.")
            % {"status": inbound.get_status_display().lower()}
        )
    InboundParcelEvent.objects.create(
        inbound=inbound, actor=actor, from_status=inbound.status, to_status=to, note=note[:300]
    )
    inbound.status = to


@transaction.atomic
def inbound_declare(
    *,
    company: Company,
    actor: User,
    warehouse: Warehouse,
    carrier: str,
    tracking_number: str,
    contents: str,
    declared_value: Decimal,
) -> InboundParcel:
    if not company.uses_forwarding:
        raise LogisticsError(
            _("Declaring your own parcels is part of the logistics forwarding service.")
        )
    tracking_number = "".join(tracking_number.split()).upper()
    inbound = InboundParcel(
        company=company,
        warehouse=warehouse,
        carrier=carrier.strip(),
        tracking_number=tracking_number,
        contents=contents.strip(),
        declared_value=declared_value,
        declared_currency=company.wallet_currency,
    )
    inbound.full_clean()
    inbound.save()
    InboundParcelEvent.objects.create(
        inbound=inbound,
        actor=actor,
        from_status=InboundParcel.Status.DECLARED,
        to_status=InboundParcel.Status.DECLARED,
        note=_("Declared"),
    )
    return inbound


@transaction.atomic
def inbound_cancel(*, inbound: InboundParcel, actor: User, reason: str = "") -> InboundParcel:
    inbound = InboundParcel.objects.select_for_update().get(pk=inbound.pk)
    _inbound_transition(inbound, to=InboundParcel.Status.CANCELLED, actor=actor, note=reason)
    inbound.save(update_fields=["status", "updated_at"])
    return inbound


@transaction.atomic
def inbound_receive(
    *,
    inbound: InboundParcel,
    actor: User,
    quantity: int,
    weight_kg: Decimal,
    length_cm: Decimal,
    width_cm: Decimal,
    height_cm: Decimal,
    inspection_summary: str = "",
    restricted_goods: Iterable[str] = (),
    photos: Sequence[UploadedFile] = (),
) -> StockItem:
    """Warehouse staff take a declared parcel in: it becomes one stock item of its company."""
    inbound = InboundParcel.objects.select_for_update().select_related("company").get(pk=inbound.pk)
    _inbound_transition(inbound, to=InboundParcel.Status.RECEIVED, actor=actor)
    inbound.received_at = timezone.now()
    inbound.received_by = actor
    inbound.save(update_fields=["status", "received_at", "received_by", "updated_at"])
    return stock_receive(
        company=inbound.company,
        warehouse=inbound.warehouse,
        description=inbound.contents,
        quantity=quantity,
        weight_kg=weight_kg,
        length_cm=length_cm,
        width_cm=width_cm,
        height_cm=height_cm,
        source_reference=inbound.reference,
        inspection_summary=inspection_summary,
        restricted_goods=restricted_goods,
        photos=photos,
        arrived_at=inbound.received_at,
        receipt_key=inbound.reference,
    )


# --- Parcels -------------------------------------------------------------------------------------


_STATUS_TIMESTAMPS = {
    Parcel.Status.PACKED: "packed_at",
    Parcel.Status.SHIPPED: "shipped_at",
    Parcel.Status.DELIVERED: "delivered_at",
}


def _transition(parcel: Parcel, *, to: str, actor: User | None, note: str = "") -> list[str]:
    """Apply one allowed step to a parcel locked by the caller; returns the fields to save."""
    if to not in Parcel.TRANSITIONS[parcel.status]:
        raise TransitionNotAllowed(
            _("Parcel %(ref)s is %(status)s; it cannot become %(to)s.")
            % {
                "ref": parcel.reference,
                "status": parcel.get_status_display().lower(),
                "to": Parcel.Status(to).label.lower(),
            }
        )
    ParcelEvent.objects.create(
        parcel=parcel, actor=actor, from_status=parcel.status, to_status=to, note=note[:300]
    )
    parcel.status = to
    fields = ["status", "updated_at"]
    stamp = _STATUS_TIMESTAMPS.get(to)
    if stamp:
        setattr(parcel, stamp, timezone.now())
        fields.append(stamp)
    if to in Parcel.EXCEPTIONS:
        outbox_enqueue(task="logistics.tasks.parcel_exception_mail", args=[parcel.pk])
    return fields


def _lock(parcel: Parcel) -> Parcel:
    return Parcel.objects.select_for_update().get(pk=parcel.pk)


@transaction.atomic
def parcel_transition(
    *, parcel: Parcel, to_status: str, actor: User | None, note: str = ""
) -> Parcel:
    """The guarded step for moves with no other data (tracking, staff corrections)."""
    parcel = _lock(parcel)
    fields = _transition(parcel, to=to_status, actor=actor, note=note)
    parcel.save(update_fields=fields)
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
        note=_("Created with %(n)s items") % {"n": len(items)},
    )
    return parcel


@transaction.atomic
def parcel_request_packing(*, parcel: Parcel, actor: User) -> Parcel:
    """The merchant asks us to pack: the estimate is fixed with today's tariff and charged."""
    parcel = _lock(parcel)
    items = list(parcel.items.order_by("pk"))
    if not items:
        raise LogisticsError(_("The parcel has no items."))
    quote = parcel_quote(parcel=parcel, items=items)
    if not quote.available:
        raise ChannelUnavailable(quote.reason)
    fields = _transition(parcel, to=Parcel.Status.PACKING_REQUESTED, actor=actor)
    weight, _volume, _restricted = parcel_contents(items)
    parcel.rate_snapshot = quote.tariff.as_json()
    parcel.estimated_weight_kg = weight
    parcel.estimated_chargeable_kg = quote.chargeable_weight_kg
    parcel.estimated_freight_cny = quote.price_cny
    parcel.estimated_freight = quote.price
    parcel.save(
        update_fields=[
            *fields,
            "rate_snapshot",
            "estimated_weight_kg",
            "estimated_chargeable_kg",
            "estimated_freight_cny",
            "estimated_freight",
        ]
    )
    # A parcel sent back to draft and requested again is charged again (its first charges
    # were refunded), so the keys count the requests.
    attempt = parcel.events.filter(to_status=Parcel.Status.PACKING_REQUESTED).count()
    _charge(
        parcel,
        kind=FreightCharge.Kind.ESTIMATE,
        amount_cny=quote.price_cny,
        amount=quote.price,
        key=f"parcel:{parcel.pk}:estimate:{attempt}",
        actor=actor,
        strict=True,
    )
    if parcel.insurance_fee:
        _charge(
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


def _refund_charges(parcel: Parcel, *, actor: User | None) -> None:
    """Give back each charge made for a parcel that will not ship now (once per charge)."""
    refunded = set(
        parcel.charges.filter(kind=FreightCharge.Kind.REFUND).values_list("refund_of", flat=True)
    )
    for charge in parcel.charges.filter(
        kind__in=[
            FreightCharge.Kind.ESTIMATE,
            FreightCharge.Kind.INSURANCE,
            FreightCharge.Kind.ADJUSTMENT,
        ],
    ).order_by("pk"):
        if charge.pk in refunded or charge.amount_cny < 0 or charge.ledger_reference == VOID:
            continue
        if not charge.ledger_reference:
            # Never reached the ledger: void it so no retry charges a parcel that will not ship.
            charge.ledger_reference = VOID
            charge.save(update_fields=["ledger_reference"])
            continue
        _charge(
            parcel,
            kind=FreightCharge.Kind.REFUND,
            amount_cny=-charge.amount_cny,
            amount=-charge.amount if charge.amount is not None else None,
            key=f"parcel:{parcel.pk}:refund:{charge.pk}",
            actor=actor,
            refund_of=charge,
        )


@transaction.atomic
def parcel_send_back(*, parcel: Parcel, actor: User, reason: str) -> Parcel:
    """Packing requested -> draft (by the merchant or staff), refunding the estimate."""
    parcel = _lock(parcel)
    fields = _transition(parcel, to=Parcel.Status.DRAFT, actor=actor, note=reason)
    parcel.save(update_fields=fields)
    _refund_charges(parcel, actor=actor)
    return parcel


@transaction.atomic
def parcel_cancel(*, parcel: Parcel, actor: User, reason: str = "") -> Parcel:
    """Cancel a parcel that has not been packed: its items go back to stock."""
    parcel = _lock(parcel)
    fields = _transition(parcel, to=Parcel.Status.CANCELLED, actor=actor, note=reason)
    parcel.save(update_fields=fields)
    _release_items(parcel)
    _refund_charges(parcel, actor=actor)
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
    parcel = _lock(parcel)
    measures = [Decimal(weight_kg), Decimal(length_cm), Decimal(width_cm), Decimal(height_cm)]
    if any(value <= 0 for value in measures):
        raise LogisticsError(_("Weight and sizes must be greater than zero."))
    fields = _transition(parcel, to=Parcel.Status.PACKED, actor=actor)
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
    parcel.actual_weight_kg, parcel.length_cm, parcel.width_cm, parcel.height_cm = measures
    parcel.actual_chargeable_kg = chargeable
    parcel.actual_freight_cny = price_cny
    parcel.actual_freight = price
    parcel.save(
        update_fields=[
            *fields,
            "actual_weight_kg",
            "length_cm",
            "width_cm",
            "height_cm",
            "actual_chargeable_kg",
            "actual_freight_cny",
            "actual_freight",
        ]
    )
    difference_cny = parcel.freight_difference_cny
    if difference_cny:
        _charge(
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
    parcel = _lock(parcel)
    clash = (
        Parcel.objects.filter(channel_id=parcel.channel_id, tracking_number=number)
        .exclude(pk=parcel.pk)
        .exists()
    )
    if clash:
        raise LogisticsError(_("Another parcel already has this tracking number."))
    fields = _transition(parcel, to=Parcel.Status.SHIPPED, actor=actor, note=number)
    parcel.tracking_number = number
    parcel.save(update_fields=[*fields, "tracking_number"])
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
    return parcel


# --- Freight settlement through the payments ledger ---------------------------------------------
#
# Each amount is first recorded here (FreightCharge / StorageCharge, unique by key), then posted
# with payments.services: a charge is `fx_quote_create` + `logistics_charge` (the wallet pays the
# CNY amount at the quote's client rate, into logistics revenue); money back is `wallet_refund`
# of the original charge, at that charge's own rate. `ledger_reference` holds the ledger
# transaction's id; empty means not settled yet (charges_settle_pending retries those).


VOID = "void"


def _wallet_movement(tx: LedgerTransaction) -> Decimal:
    """What the wallet paid in `tx` (positive) or got back (negative)."""
    posting = tx.postings.filter(account__kind=Account.Kind.WALLET).first()
    return -posting.amount if posting is not None else Decimal(0)


def _ledger_charge(
    *,
    company: Company,
    amount: Decimal,
    currency: str,
    key: str,
    reference: str,
    memo: str,
    actor: User | None,
) -> LedgerTransaction:
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    quote = payments.fx_quote_create(
        company=company, amount=amount, to_currency=currency, actor=actor
    )
    return payments.logistics_charge(
        quote=quote, reference=reference, idempotency_key=key, actor=actor, memo=memo
    )


def _settle_freight(charge: FreightCharge, *, actor: User | None) -> None:
    """Post one recorded freight charge to the ledger (PaymentsError when refused)."""
    parcel = charge.parcel
    company = parcel.company
    memo = f"{parcel.reference} {charge.get_kind_display()}"
    if charge.kind == FreightCharge.Kind.INSURANCE:
        tx = _ledger_charge(
            company=company,
            amount=charge.amount,
            currency=charge.currency,
            key=charge.idempotency_key,
            reference=parcel.reference,
            memo=memo,
            actor=actor,
        )
    elif charge.amount_cny > 0:
        tx = _ledger_charge(
            company=company,
            amount=charge.amount_cny,
            currency=rates.SETTLEMENT_CURRENCY,
            key=charge.idempotency_key,
            reference=parcel.reference,
            memo=memo,
            actor=actor,
        )
    else:
        tx = _ledger_refund(charge, actor=actor, memo=memo)
    charge.ledger_reference = str(tx.pk)
    charge.amount = _wallet_movement(tx)
    charge.save(update_fields=["ledger_reference", "amount"])


def _ledger_refund(charge: FreightCharge, *, actor: User | None, memo: str) -> LedgerTransaction:
    """A cancellation refund gives back all that is left of the charge it names; a negative
    packing difference gives back part of the estimate, at the estimate's own client rate."""
    if charge.kind == FreightCharge.Kind.REFUND:
        tx = LedgerTransaction.objects.get(pk=int(charge.refund_of.ledger_reference))
        amount = None
    else:
        estimate = (
            charge.parcel.charges.filter(kind=FreightCharge.Kind.ESTIMATE)
            .exclude(ledger_reference__in=["", VOID])
            .order_by("-pk")
            .first()
        )
        if estimate is None:
            raise payment_errors.PaymentsError(_("The estimate was never charged."))
        tx = LedgerTransaction.objects.select_related("quote").get(
            pk=int(estimate.ledger_reference)
        )
        amount = quantize(-charge.amount_cny / tx.quote.client_rate, tx.quote.from_currency)
    return payments.wallet_refund(
        charge=tx, idempotency_key=charge.idempotency_key, amount=amount, actor=actor, memo=memo
    )


def _charge(
    parcel: Parcel,
    *,
    kind: str,
    amount_cny: Decimal,
    amount: Decimal | None,
    key: str,
    actor: User | None = None,
    strict: bool = False,
    refund_of: FreightCharge | None = None,
) -> FreightCharge:
    """Record what the merchant owes (positive) or gets back (negative), once per key, and
    settle it. `strict`: a ledger refusal (not enough balance, no rate) is raised as a
    LogisticsError and nothing is written; otherwise the charge stays unsettled for a retry."""
    charge, created = FreightCharge.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "parcel": parcel,
            "kind": kind,
            "amount_cny": amount_cny,
            "amount": amount,
            "currency": parcel.currency,
            "refund_of": refund_of,
        },
    )
    if not created or charge.ledger_reference:
        return charge
    try:
        with transaction.atomic():
            _settle_freight(charge, actor=actor)
    except payment_errors.PaymentsError as error:
        if strict:
            raise LogisticsError(error.message) from error
        logger.warning("logistics: %s left unsettled: %s", key, error)
    return charge


def charges_settle_pending() -> int:
    """Retry posting freight and storage charges that the ledger refused before (beat)."""
    settled = 0
    for charge in (
        FreightCharge.objects.filter(ledger_reference="")
        .select_related("parcel__company", "refund_of")
        .order_by("pk")
    ):
        try:
            with transaction.atomic():
                _settle_freight(charge, actor=None)
        except payment_errors.PaymentsError as error:
            logger.info("logistics: %s still unsettled: %s", charge.idempotency_key, error)
        else:
            settled += 1
    for charge in StorageCharge.objects.filter(ledger_reference="").select_related(
        "company", "item"
    ):
        try:
            with transaction.atomic():
                _settle_storage(charge)
        except payment_errors.PaymentsError as error:
            logger.info("logistics: %s still unsettled: %s", charge.idempotency_key, error)
        else:
            settled += 1
    return settled


# --- Tracking ------------------------------------------------------------------------------------

_KIND_TO_STATUS = {
    TrackingEvent.Kind.IN_TRANSIT: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.OUT_FOR_DELIVERY: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.DELIVERED: Parcel.Status.DELIVERED,
    TrackingEvent.Kind.CUSTOMS_HOLD: Parcel.Status.CUSTOMS_HOLD,
    TrackingEvent.Kind.RETURNED: Parcel.Status.RETURNED,
    TrackingEvent.Kind.LOST: Parcel.Status.LOST,
}


def _parcel_for_update(*, provider: str, update: TrackingUpdate) -> Parcel:
    """The parcel an update is about; refused when unknown or when its reference names a
    different parcel (another company's, or a mix-up) than the tracking number does."""
    number = "".join(update.tracking_number.split()).upper()
    parcel = (
        Parcel.objects.select_for_update()
        .filter(tracking_number=number, channel__tracking=provider)
        .exclude(tracking_number="")
        .first()
    )
    if parcel is None:
        raise WebhookRejected(_("Unknown parcel."), status=404)
    if update.reference and update.reference != f"parcel:{parcel.pk}":
        raise WebhookRejected(_("The event does not belong to this parcel."), status=404)
    return parcel


@transaction.atomic
def tracking_events_record(*, provider: str, update: TrackingUpdate) -> int:
    """Store new carrier events of one parcel and move the parcel along; returns how many
    events were new (0 for a replay)."""
    parcel = _parcel_for_update(provider=provider, update=update)
    known = set(
        TrackingEvent.objects.filter(
            provider=provider, external_id__in=[event.external_id for event in update.events]
        ).values_list("external_id", flat=True)
    )
    fresh: list[CarrierEvent] = []
    for event in update.events:
        if event.external_id in known:
            continue
        known.add(event.external_id)
        fresh.append(event)
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                parcel=parcel,
                provider=provider,
                external_id=event.external_id,
                kind=event.kind,
                occurred_at=event.occurred_at,
                description=event.description,
                location=event.location,
                raw=event.raw,
            )
            for event in fresh
        ]
    )
    fields: set[str] = set()
    for event in sorted(fresh, key=lambda e: e.occurred_at):
        target = _KIND_TO_STATUS.get(event.kind)
        if target is None or target == parcel.status:
            continue
        if target in Parcel.TRANSITIONS[parcel.status]:
            note = (
                f"{event.description} ({event.location})" if event.location else event.description
            )
            fields.update(_transition(parcel, to=target, actor=None, note=note))
        else:
            logger.info("tracking: %s stays %s on %s", parcel.reference, parcel.status, event.kind)
    if fields:
        parcel.save(update_fields=sorted(fields))
    for event in sorted(fresh, key=lambda e: e.occurred_at):
        webhook_event_emit(
            company=parcel.company,
            event="tracking.event",
            payload={
                "parcel_id": parcel.pk,
                "reference": parcel.reference,
                "tracking_number": parcel.tracking_number,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "description": event.description,
                "location": event.location,
                "parcel_status": parcel.status,
            },
        )
    return len(fresh)


def tracking_register(*, parcel_id: int) -> None:
    """Tell the parcel's tracking provider about its number (outside any transaction)."""
    parcel = Parcel.objects.select_related("channel").get(pk=parcel_id)
    if not parcel.tracking_number or parcel.tracking_registered_at:
        return
    adapter = tracking_adapter(parcel.channel.tracking)
    adapter.register(
        tracking_number=parcel.tracking_number,
        carrier_code=parcel.channel.carrier_code,
        reference=f"parcel:{parcel.pk}",
    )
    Parcel.objects.filter(pk=parcel.pk).update(tracking_registered_at=timezone.now())


def tracking_poll(*, parcel_id: int) -> int:
    """Fallback when pushes are missed: fetch the parcel's events and record the new ones."""
    parcel = Parcel.objects.select_related("channel").get(pk=parcel_id)
    if parcel.status not in Parcel.TRACKED or not parcel.tracking_number:
        return 0
    adapter = tracking_adapter(parcel.channel.tracking)
    events = adapter.fetch(
        tracking_number=parcel.tracking_number, carrier_code=parcel.channel.carrier_code
    )
    Parcel.objects.filter(pk=parcel.pk).update(tracking_polled_at=timezone.now())
    if not events:
        return 0
    update = TrackingUpdate(parcel.tracking_number, f"parcel:{parcel.pk}", tuple(events))
    return tracking_events_record(provider=adapter.name, update=update)


def tracking_parcels_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=conf.tracking_poll_interval_hours())
    return list(
        Parcel.objects.filter(status__in=Parcel.TRACKED)
        .exclude(tracking_number="")
        .filter(Q(tracking_polled_at__isnull=True) | Q(tracking_polled_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _merchant_recipients(company_id: int, *extra: User | None) -> list[str]:
    from procurement.accounts.models import Membership

    emails = set(
        Membership.objects.filter(
            company_id=company_id, role__in=[Role.OWNER, Role.BUYER]
        ).values_list("user__email", flat=True)
    )
    emails.update(user.email for user in extra if user is not None)
    return sorted(emails)


def _site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def parcel_exception_mail_send(*, parcel_id: int) -> None:
    """Tell the merchant that its parcel hit an exception (customs hold, returned, lost)."""
    parcel = Parcel.objects.select_related("company", "created_by", "destination").get(pk=parcel_id)
    last = parcel.tracking_events.order_by("-occurred_at", "-pk").first()
    context = {
        "parcel": parcel,
        "event": last,
        "url": _site_url(reverse("logistics:parcel-detail", args=[parcel.pk])),
    }
    send_mail(
        subject=_("Parcel %(ref)s: %(status)s")
        % {"ref": parcel.reference, "status": parcel.get_status_display()},
        message=render_to_string("logistics/email/parcel_exception.txt", context),
        from_email=None,
        recipient_list=_merchant_recipients(parcel.company_id, parcel.created_by),
    )


# --- Storage fees --------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _settle_storage(charge: StorageCharge) -> None:
    tx = _ledger_charge(
        company=charge.company,
        amount=charge.amount_cny,
        currency=rates.SETTLEMENT_CURRENCY,
        key=charge.idempotency_key,
        reference=f"stock:{charge.item_id}",
        memo=f"Storage {charge.period:%Y-%m} item #{charge.item_id}",
        actor=None,
    )
    charge.ledger_reference = str(tx.pk)
    charge.amount = _wallet_movement(tx)
    charge.save(update_fields=["ledger_reference", "amount"])


def storage_fees_charge(*, today: date | None = None) -> int:
    """Charge one month of storage for every stored item past its free period, once per item
    per calendar month (key "storage:<item>:<YYYY-MM>"). Returns how many charges were made."""
    today = today or timezone.localdate()
    period = _month_start(today)
    fee_cny = conf.storage_fee_cny()
    items = (
        StockItem.objects.filter(
            status__in=[StockItem.Status.IN_STOCK, StockItem.Status.RESERVED],
            free_storage_until__lt=today,
        )
        .exclude(storage_charges__period=period)
        .select_related("company")
        .order_by("pk")
    )
    rate_by_currency: dict[str, Decimal | None] = {}
    made = 0
    for item in items.iterator(chunk_size=500):
        currency = item.company.wallet_currency
        if currency not in rate_by_currency:
            rate_by_currency[currency] = rates.cny_rate(currency)
        amount = rates.from_cny(fee_cny, currency=currency, rate=rate_by_currency[currency])
        key = f"storage:{item.pk}:{period:%Y-%m}"
        try:
            with transaction.atomic():
                charge = StorageCharge.objects.create(
                    item=item,
                    company_id=item.company_id,
                    period=period,
                    idempotency_key=key,
                    amount_cny=fee_cny,
                    amount=amount,
                    currency=currency,
                )
        except IntegrityError:
            continue  # Another run charged this item for this month first.
        try:
            with transaction.atomic():
                _settle_storage(charge)
        except payment_errors.PaymentsError as error:
            logger.warning("logistics: %s left unsettled: %s", key, error)
        made += 1
    return made


def storage_notices_send(*, today: date | None = None) -> int:
    """Tell each company, once per item, that storage fees start soon. Returns emails sent."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=conf.storage_notice_days())
    due = list(
        StockItem.objects.filter(
            status__in=[StockItem.Status.IN_STOCK, StockItem.Status.RESERVED],
            storage_notice_sent_at__isnull=True,
            free_storage_until__lte=horizon,
        )
        .select_related("company")
        .order_by("company_id", "free_storage_until", "pk")
    )
    by_company: dict[int, list[StockItem]] = {}
    for item in due:
        by_company.setdefault(item.company_id, []).append(item)
    sent = 0
    for company_id, items in by_company.items():
        item_ids = [item.pk for item in items]
        with transaction.atomic():
            marked = StockItem.objects.filter(
                pk__in=item_ids, storage_notice_sent_at__isnull=True
            ).update(storage_notice_sent_at=timezone.now())
            if not marked:
                continue
            outbox_enqueue(task="logistics.tasks.storage_notice_mail", args=[company_id, item_ids])
        sent += 1
    return sent


def storage_notice_mail_send(*, company_id: int, item_ids: Sequence[int]) -> None:
    """Mail a company the items whose free storage ends soon (queued by storage_notices_send)."""
    company = Company.objects.get(pk=company_id)
    items = list(
        StockItem.objects.filter(pk__in=item_ids, company_id=company_id).order_by(
            "free_storage_until", "pk"
        )
    )
    if not items:
        return
    context = {
        "company": company,
        "items": items,
        "fee_cny": conf.storage_fee_cny(),
        "url": _site_url(reverse("logistics:stock-list")),
    }
    send_mail(
        subject=_("Storage fees start soon for %(n)s items") % {"n": len(items)},
        message=render_to_string("logistics/email/storage_notice.txt", context),
        from_email=None,
        recipient_list=_merchant_recipients(company_id),
    )

"""Inbound parcels a forwarding customer declares and sends to our warehouse itself."""

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.exceptions import LogisticsError
from logistics.models import InboundParcel, InboundParcelEvent, StockItem, Warehouse
from logistics.services.stock import CustomsData, stock_receive
from procurement.accounts.models import Company, User
from procurement.core import states
from procurement.core.phrases import phrase


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
        reason=phrase("Declared"),
    )
    return inbound


@transaction.atomic
def inbound_cancel(*, inbound: InboundParcel, actor: User, reason: str = "") -> InboundParcel:
    return states.transition(inbound, to=InboundParcel.Status.CANCELLED, actor=actor, reason=reason)


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
    bin_location: str = "",
) -> StockItem:
    """Warehouse staff take a declared parcel in: it becomes one stock item of its company,
    stored in `bin_location` when they say where."""
    inbound = InboundParcel.objects.select_for_update().select_related("company").get(pk=inbound.pk)
    states.apply(
        inbound,
        to=InboundParcel.Status.RECEIVED,
        actor=actor,
        changes={"received_at": timezone.now(), "received_by": actor},
    )
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
        bin_location=bin_location,
        arrived_at=inbound.received_at,
        receipt_key=inbound.reference,
        # The merchant's own declaration is what it paid for the goods.
        customs=CustomsData(
            unit_value=(inbound.declared_value / quantity).quantize(Decimal("0.0001"))
            if quantity
            else None,
            value_currency=inbound.declared_currency,
        ),
    )

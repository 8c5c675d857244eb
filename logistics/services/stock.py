"""Goods into stock: what arrived (and passed inspection) and its photos.

Orders (a higher layer) call `stock_receive` with data copied at the boundary and an opaque
source reference ("po:12").
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import conf
from logistics.models import StockItem, StockPhoto, Warehouse
from logistics.models.stock import bin_location_clean
from logistics.photos import photo_check
from procurement.accounts.models import Company
from procurement.core.hazards import hazards_clean
from procurement.core.webhooks import webhook_event_emit


def _check_restricted(values: Iterable[str]) -> list[str]:
    try:
        return hazards_clean(values)
    except ValueError as error:
        raise ValidationError(_("Unknown restricted goods: %(v)s") % {"v": error}) from None


@dataclass(frozen=True)
class CustomsData:
    """What customs will ask about received goods, copied from the product and the purchase at
    the boundary (orders know products and prices; logistics keeps a copy)."""

    product_reference: str = ""
    description_zh: str = ""
    hs_code: str = ""
    origin_country: str = ""
    unit: str = "piece"
    unit_value: Decimal | None = None
    value_currency: str = ""


@transaction.atomic
def stock_photo_add(*, item: StockItem, upload: UploadedFile, caption: str = "") -> StockPhoto:
    checked = photo_check(upload)
    photo = StockPhoto(item=item, caption=caption[:200])
    photo.image.save(checked.image.name, checked.image, save=False)
    photo.thumbnail.save(checked.thumbnail.name, checked.thumbnail, save=False)
    photo.save()
    return photo


def _customs_fields(customs: CustomsData) -> dict:
    return {
        "product_reference": customs.product_reference,
        "description_zh": customs.description_zh[:300],
        "hs_code": customs.hs_code,
        "origin_country": customs.origin_country.upper(),
        "unit": customs.unit or "piece",
        "unit_value": customs.unit_value,
        "value_currency": customs.value_currency if customs.unit_value is not None else "",
    }


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
    customs: CustomsData | None = None,
    bin_location: str = "",
) -> StockItem:
    """Put goods that arrived (and passed inspection) into the company's stock, in the bin
    staff put them in (written one way by `bin_location_clean`; packing picks by it).

    Idempotent by `receipt_key` (e.g. "po:12:line:3"): calling again with the same key returns
    the item made the first time and adds nothing. Photos are checked (PhotoRejected).
    """
    if receipt_key:
        existing = StockItem.objects.filter(receipt_key=receipt_key).first()
        if existing is not None:
            return existing
    arrived_at = arrived_at or timezone.now()
    try:
        bin_location = bin_location_clean(bin_location)
    except ValidationError as error:
        raise ValidationError({"bin_location": error.messages}) from None
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
        bin_location=bin_location,
        source_reference=source_reference,
        receipt_key=receipt_key or None,
        arrived_at=arrived_at,
        **_customs_fields(customs or CustomsData()),
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

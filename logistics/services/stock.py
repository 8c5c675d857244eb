"""Goods into stock: what arrived (and passed inspection) and its photos; part of an item split
off into a row of its own; the units a company holds of given products taken from stock.

Orders (a higher layer) call `stock_receive` with data copied at the boundary and an opaque
source reference ("po:12"), and `stock_allocate` with product and SKU references ("sku:34").
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import conf
from logistics.exceptions import LogisticsError, StockUnavailable
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
    # Which variant was bought ("sku:34"): store orders ship a variant from stock by it.
    sku_reference: str = ""
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
        "sku_reference": customs.sku_reference,
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


GRAM = Decimal("0.001")
MILLIMETRE = Decimal("0.1")


def _requantified(description: str, old: int, new: int) -> str:
    """Receiving names the count in the description ("Mug x 10"): keep it true after a split."""
    suffix = f" x {old}"
    if description.endswith(suffix):
        return f"{description.removesuffix(suffix)} x {new}"
    return description


@transaction.atomic
def stock_item_split(*, item: StockItem, quantity: int) -> StockItem:
    """Move `quantity` units of an in-stock item into a new row of their own; the item keeps
    the rest. The row is locked first, so two splits (or a split and a parcel picking the
    item) never take the same units; the quantities of the two rows sum to the original.

    Weight is shared by quantity, to the gram, the rest keeping whatever rounding leaves so the
    weights sum exactly. The units are taken as a slice of the stack: length and width stay,
    the height is shared like the weight (at least a millimetre each), so that the volumetric
    weight of a parcel stays close to what the units occupy. The new row is a copy in every
    other respect (customs data, source, photos, storage dates) without the receipt key,
    which stays with the goods as received."""
    item = StockItem.objects.select_for_update().get(pk=item.pk)
    if item.status != StockItem.Status.IN_STOCK or item.parcel_id is not None:
        raise StockUnavailable
    if not 0 < quantity < item.quantity:
        raise LogisticsError(
            _("Split off between 1 and %(max)s units of item #%(pk)s.")
            % {"max": item.quantity - 1, "pk": item.pk}
        )
    rest = item.quantity - quantity
    share = Decimal(quantity) / Decimal(item.quantity)
    weight = (item.weight_kg * share).quantize(GRAM, rounding=ROUND_HALF_UP)
    weight = min(max(weight, GRAM), item.weight_kg - GRAM)
    if weight <= 0:
        raise LogisticsError(_("Item #%(pk)s weighs too little to be split.") % {"pk": item.pk})
    height = (item.height_cm * share).quantize(MILLIMETRE, rounding=ROUND_HALF_UP)
    height = max(height, MILLIMETRE)
    rest_height = max(item.height_cm - height, MILLIMETRE)
    description = item.description
    photos = list(item.photos.order_by("pk"))
    part = StockItem.objects.get(pk=item.pk)
    part.pk = None
    part._state.adding = True
    part.quantity = quantity
    part.weight_kg = weight
    part.height_cm = height
    part.receipt_key = None
    part.description = _requantified(description, item.quantity, quantity)
    part.save()
    StockPhoto.objects.bulk_create(
        StockPhoto(
            item=part, image=photo.image.name, thumbnail=photo.thumbnail.name, caption=photo.caption
        )
        for photo in photos
    )
    item.description = _requantified(description, item.quantity, rest)
    item.quantity = rest
    item.weight_kg -= weight
    item.height_cm = rest_height
    item.save(update_fields=["description", "quantity", "weight_kg", "height_cm", "updated_at"])
    return part


@dataclass(frozen=True)
class StockWant:
    """Units of one product (and variant) a company wants to send from its stock, named by the
    references stock items copied when received ("product:12", "sku:34"; no SKU: "")."""

    product_reference: str
    sku_reference: str
    quantity: int

    def matches(self, item: StockItem) -> bool:
        if self.sku_reference:
            return item.sku_reference == self.sku_reference
        return item.product_reference == self.product_reference and not item.sku_reference

    def condition(self) -> Q:
        if self.sku_reference:
            return Q(sku_reference=self.sku_reference)
        return Q(product_reference=self.product_reference, sku_reference="")


@dataclass(frozen=True)
class StockTaken:
    """What `stock_allocate` found for one want: rows holding exactly the units taken."""

    want: StockWant
    items: tuple[StockItem, ...]

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)


def _coverage(items: Sequence[StockItem], wants: Sequence[StockWant]) -> int:
    return sum(
        min(want.quantity, sum(item.quantity for item in items if want.matches(item)))
        for want in wants
    )


@transaction.atomic
def stock_allocate(
    *, company: Company, wants: Sequence[StockWant], exclude_sources: Iterable[str] = ()
) -> list[StockTaken]:
    """The company's available units for each want: in stock, in no parcel, not from the
    excluded sources (goods bought for orders still waiting for the rest of their goods).

    A parcel leaves from one warehouse, so the units come from the warehouse that holds most
    of what is wanted (the lower id on a tie), oldest goods first. Every candidate row is
    locked in primary-key order before anything is counted: a second caller waits and then
    sees what the first left. An item holding more than is needed is split
    (`stock_item_split`), so the rows returned hold exactly the units taken. Nothing is
    reserved here: the caller puts the rows into a parcel in the same transaction. Returns
    one `StockTaken` per want, in the order given."""
    wanted = [want for want in wants if want.quantity > 0]
    if not wanted:
        return [StockTaken(want=want, items=()) for want in wants]
    condition = Q()
    for want in wanted:
        condition |= want.condition()
    candidates = list(
        StockItem.objects.select_for_update()
        .filter(condition, company=company, status=StockItem.Status.IN_STOCK, parcel__isnull=True)
        .exclude(source_reference__in=list(exclude_sources))
        .order_by("pk")
    )
    by_warehouse: dict[int, list[StockItem]] = {}
    for item in candidates:
        by_warehouse.setdefault(item.warehouse_id, []).append(item)
    if not by_warehouse:
        return [StockTaken(want=want, items=()) for want in wants]
    warehouse_id = max(by_warehouse, key=lambda pk: (_coverage(by_warehouse[pk], wanted), -pk))
    pool = sorted(by_warehouse[warehouse_id], key=lambda item: (item.arrived_at, item.pk))
    used: set[int] = set()
    taken = []
    for want in wants:
        needed, rows = max(want.quantity, 0), []
        for item in pool:
            if needed == 0:
                break
            if item.pk in used or not want.matches(item):
                continue
            used.add(item.pk)
            if item.quantity <= needed:
                rows.append(item)
                needed -= item.quantity
            else:
                rows.append(stock_item_split(item=item, quantity=needed))
                needed = 0
        taken.append(StockTaken(want=want, items=tuple(rows)))
    return taken

"""Every catalog write: supplier vetting, performance records, categories, images, summaries."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.adapters.alibaba1688 import Offer
from catalog.exceptions import ImageRejected, OfferImportError, ReasonRequired
from catalog.generation import catalog_changed
from catalog.models import (
    CATEGORY_MAX_DEPTH,
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    Category,
    PriceTier,
    Product,
    ProductImage,
    Sku,
    Supplier,
    SupplierPerformance,
    UploadCheck,
)
from procurement.core import states

S = Supplier.Status

# Saying no to a supplier, or stopping one, must be explained to whoever reads the timeline.
REASON_REQUIRED_FOR = frozenset({S.REJECTED, S.SUSPENDED})

THUMBNAIL_SIZE = (320, 320)


@transaction.atomic
def supplier_transition(*, supplier: Supplier, to_status: str, actor, reason: str = "") -> Supplier:
    """Move a supplier along its vetting workflow (`Supplier.TRANSITIONS`) and record who did it
    and why. A move the table refuses raises InvalidTransition before a missing reason counts."""
    supplier = states.lock(supplier)
    reason = (reason or "").strip()
    if to_status in REASON_REQUIRED_FOR and not reason and supplier.can_become(to_status):
        raise ReasonRequired(_("Give a reason: the supplier's timeline keeps it."))
    states.apply(supplier, to=to_status, actor=actor, reason=reason)
    # Which products merchants see changed; category counts follow after commit.
    transaction.on_commit(category_counts_refresh)
    return supplier


@transaction.atomic
def supplier_performance_record(
    *,
    supplier: Supplier,
    reference: str,
    placed_at: datetime,
    dispatched_on_time: bool | None = None,
    cancelled: bool = False,
    units_inspected: int = 0,
    units_defective: int = 0,
    response_minutes: int | None = None,
) -> SupplierPerformance:
    """Record (or update) what one purchase order showed about a supplier; refresh its rating.

    Called by later apps with an opaque reference such as "po:123".
    """
    record, _created = SupplierPerformance.objects.update_or_create(
        reference=reference,
        defaults={
            "supplier": supplier,
            "placed_at": placed_at,
            "dispatched_on_time": dispatched_on_time,
            "cancelled": cancelled,
            "units_inspected": units_inspected,
            "units_defective": units_defective,
            "response_minutes": response_minutes,
        },
    )
    supplier_scorecard_refresh(supplier=supplier)
    return record


def supplier_scorecard_refresh(*, supplier: Supplier) -> Decimal | None:
    """Store the computed rating on the supplier so listings can filter by it."""
    from catalog.selectors import supplier_scorecard

    rating = supplier_scorecard(supplier).rating
    Supplier.objects.filter(pk=supplier.pk).update(rating=rating, updated_at=timezone.now())
    catalog_changed()  # listings filter by rating
    supplier.rating = rating
    return rating


@transaction.atomic
def category_create(
    *,
    name_en: str,
    slug: str,
    name_zh: str = "",
    parent: Category | None = None,
    position: int = 0,
) -> Category:
    depth = 0 if parent is None else parent.depth + 1
    if depth > CATEGORY_MAX_DEPTH:
        raise ValidationError(_("Categories have at most three levels."))
    return Category.objects.create(
        name_en=name_en, name_zh=name_zh, slug=slug, parent=parent, position=position, depth=depth
    )


@transaction.atomic
def category_save(*, category: Category) -> Category:
    """Save a category edited by staff: its depth follows its parent, at most three levels."""
    category.depth = 0 if category.parent is None else category.parent.depth + 1
    category.full_clean()
    category.save()
    return category


def category_counts_refresh() -> None:
    """Count visible products per category, rolled up to the ancestors (cheap facet counts)."""
    from catalog.selectors import products_visible

    direct = dict(
        products_visible()
        .order_by()
        .values_list("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    parents = dict(Category.objects.values_list("id", "parent_id"))
    totals = dict.fromkeys(parents, 0)
    for category_id, count in direct.items():
        node = category_id
        while node is not None:
            totals[node] += count
            node = parents.get(node)
    changed = [Category(pk=pk, product_count=n) for pk, n in totals.items()]
    Category.objects.bulk_update(changed, ["product_count"], batch_size=500)
    catalog_changed()


def product_summary_refresh(*, product_ids: Iterable[int]) -> None:
    """Recompute the columns listings sort and filter on: from-price, stock, cover thumbnail."""
    ids = list(product_ids)
    if not ids:
        return
    tier_min = dict(
        PriceTier.objects.filter(product_id__in=ids)
        .order_by()
        .values("product_id")
        .annotate(m=Min("unit_price_cny"))
        .values_list("product_id", "m")
    )
    sku_rows = (
        Sku.objects.filter(product_id__in=ids)
        .order_by()
        .values("product_id")
        .annotate(m=Min("price_cny"), stocked=Count("id", filter=Q(stock__gt=0)))
        .values_list("product_id", "m", "stocked")
    )
    sku_min = {pid: m for pid, m, _s in sku_rows}
    stocked = {pid for pid, _m, s in sku_rows if s}
    covers: dict[int, str] = {}
    now = timezone.now()
    for pid, thumb, image in (
        ProductImage.objects.filter(product_id__in=ids)
        .order_by("product_id", "-position", "-pk")
        .values_list("product_id", "thumbnail", "image")
    ):
        covers[pid] = thumb or image  # the last one written per product is its first image
    products = []
    for pid in ids:
        prices = [p for p in (tier_min.get(pid), sku_min.get(pid)) if p is not None]
        products.append(
            Product(
                pk=pid,
                min_price_cny=min(prices) if prices else None,
                in_stock=pid in stocked,
                cover_thumbnail=covers.get(pid, ""),
                updated_at=now,
            )
        )
    Product.objects.bulk_update(
        products, ["min_price_cny", "in_stock", "cover_thumbnail", "updated_at"], batch_size=500
    )
    catalog_changed()


def thumbnail_bytes(source, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A list-size JPEG of an image, orientation fixed, aspect kept."""
    with Image.open(source) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(size)
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=82, optimize=True)
        return out.getvalue()


def _check_image(upload) -> None:
    try:
        UploadCheck(IMAGE_EXTENSIONS, IMAGE_MAX_BYTES)(upload)
    except ValidationError as error:
        raise ImageRejected(" ".join(error.messages)) from error
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ImageRejected(_("That file is not an image we can read.")) from error
    finally:
        upload.seek(0)


@transaction.atomic
def product_image_add(
    *, product: Product, upload, alt_text: str = "", position: int | None = None
) -> ProductImage:
    """Check an uploaded image, store it under a generated name with its list-size thumbnail."""
    _check_image(upload)
    if position is None:
        last = product.images.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    image = ProductImage(product=product, alt_text=alt_text, position=position)
    image.image.save(upload.name, upload, save=False)
    upload.seek(0)
    image.thumbnail.save("thumb.jpg", ContentFile(thumbnail_bytes(upload)), save=False)
    image.save()
    product_summary_refresh(product_ids=[product.pk])
    return image


def product_image_thumbnail_refresh(*, image: ProductImage) -> ProductImage:
    """(Re)build an image's thumbnail, e.g. after staff uploaded it through the admin."""
    image.image.open("rb")
    try:
        data = thumbnail_bytes(image.image)
    finally:
        image.image.close()
    image.thumbnail.save("thumb.jpg", ContentFile(data), save=False)
    image.save(update_fields=["thumbnail"])
    product_summary_refresh(product_ids=[image.product_id])
    return image


@transaction.atomic
def offer_import(*, offer: Offer, default_category: Category | None = None) -> tuple[Product, bool]:
    """Create or update the supplier, product, SKUs and tiers of a 1688 offer.

    Keyed by the offer id (products) and member id (suppliers), so re-importing updates and
    never duplicates. A new supplier starts as "applied": nothing it sells is visible until an
    account manager approves it. SKUs gone from the offer keep their rows (carts and orders
    may point at them) with stock 0.
    """
    category = default_category
    if offer.category_slug:
        category = Category.objects.filter(slug=offer.category_slug).first() or category
    if category is None:
        raise OfferImportError(
            f"category {offer.category_slug!r} does not exist and no default category was given"
            if offer.category_slug
            else "no category: add categorySlug to the record or pass --category"
        )

    seller = offer.seller
    supplier = Supplier.objects.select_for_update().filter(member_id=seller.member_id).first()
    if supplier is None:
        supplier = Supplier.objects.create(
            member_id=seller.member_id,
            name_zh=seller.name_zh,
            name_en=seller.name_en,
            province=seller.province,
            city=seller.city,
            shop_url=seller.shop_url,
        )
    else:
        supplier.name_zh = seller.name_zh
        supplier.name_en = seller.name_en or supplier.name_en
        supplier.province = seller.province
        supplier.city = seller.city or supplier.city
        supplier.shop_url = seller.shop_url or supplier.shop_url
        supplier.save(
            update_fields=["name_zh", "name_en", "province", "city", "shop_url", "updated_at"]
        )

    product, created = Product.objects.select_for_update().update_or_create(
        source=Product.Source.ALIBABA_1688,
        source_offer_id=offer.offer_id,
        defaults={
            "supplier": supplier,
            "category": category,
            "title_zh": offer.title_zh,
            "title_en": offer.title_en,
            "description_zh": offer.description_zh,
            "description_en": offer.description_en,
            "source_url": offer.source_url,
            "unit": offer.unit,
            "moq": offer.moq,
            "order_multiple": offer.order_multiple,
            "attributes": offer.attributes,
            "weight_kg": offer.weight_kg,
            "length_cm": offer.length_cm,
            "width_cm": offer.width_cm,
            "height_cm": offer.height_cm,
        },
    )

    wanted = {t.min_quantity: t.unit_price_cny for t in offer.tiers}
    product.tiers.exclude(min_quantity__in=wanted).delete()
    existing_tiers = {t.min_quantity: t for t in product.tiers.all()}
    for min_quantity, price in wanted.items():
        tier = existing_tiers.get(min_quantity)
        if tier is None:
            PriceTier.objects.create(
                product=product, min_quantity=min_quantity, unit_price_cny=price
            )
        elif tier.unit_price_cny != price:
            tier.unit_price_cny = price
            tier.save(update_fields=["unit_price_cny"])

    codes = {f"1688-{offer.offer_id}-{s.external_id}": s for s in offer.skus}
    existing_skus = {s.code: s for s in product.skus.all()}
    for position, (code, data) in enumerate(codes.items()):
        sku = existing_skus.get(code)
        if sku is None:
            if Sku.objects.filter(code=code).exists():
                raise OfferImportError(f"SKU code {code} already belongs to another product")
            Sku.objects.create(
                product=product,
                code=code,
                attributes=data.attributes,
                stock=data.stock,
                price_cny=data.price_cny,
                position=position,
            )
        else:
            sku.attributes = data.attributes
            sku.stock = data.stock
            sku.price_cny = data.price_cny
            sku.position = position
            sku.save(update_fields=["attributes", "stock", "price_cny", "position"])
    product.skus.exclude(code__in=codes).update(stock=0)
    product_summary_refresh(product_ids=[product.pk])
    return product, created


def product_after_admin_edit(*, product: Product) -> None:
    """After staff edited a product and its inlines: thumbnails, summaries and counts."""
    for image in product.images.filter(thumbnail=""):
        product_image_thumbnail_refresh(image=image)
    product_summary_refresh(product_ids=[product.pk])
    transaction.on_commit(category_counts_refresh)

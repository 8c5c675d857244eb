"""Every catalog write: supplier vetting, performance records, categories, images, summaries."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.adapters.images import Fetcher, get_fetcher
from catalog.adapters.offer_record import OfferRecord, OfferSeller
from catalog.exceptions import ImageRejected, OfferImportError, ReasonRequired
from catalog.generation import catalog_changed
from catalog.hazards import hazards_for_offer
from catalog.models import (
    CATEGORY_MAX_DEPTH,
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    Category,
    OfferImport,
    PriceTier,
    Product,
    ProductImage,
    Province,
    Sku,
    Supplier,
    SupplierPerformance,
    UploadCheck,
)
from procurement.core import states

S = Supplier.Status
logger = logging.getLogger(__name__)

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


def search_partitions_extend() -> int:
    """Make the search rows' partitions ready beyond the highest product id (migration 0017):
    every partition up to the one of the highest id, the next one, and any whose rows wait in
    the DEFAULT partition. Returns how many were created; nothing on SQLite."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT catalog_productsearch_extend(coalesce(max(id), 0)) FROM catalog_product"
        )
        (created,) = cursor.fetchone()
    return created


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


# --- 1688 offers in ------------------------------------------------------------------------

_PRODUCT_IMPORT_FIELDS = (
    "supplier_id", "title_zh", "title_en", "title_translations", "description_zh",
    "description_en", "description_translations", "source_url", "unit", "unit_source",
    "unit_source_trans", "moq", "order_multiple", "attributes", "specifications", "image_urls",
    "ship_from", "ship_from_province", "source_status", "consign_price_cny", "weight_kg",
    "length_cm", "width_cm", "height_cm",
)  # fmt: skip
_SKU_IMPORT_FIELDS = (
    "spec_id", "attributes", "attribute_list", "stock", "price_cny", "consign_price_cny",
    "promotion_price_cny", "weight_kg", "length_cm", "width_cm", "height_cm", "image_url",
)  # fmt: skip


def _offer_snapshot(product: Product) -> dict:
    """What an import writes, as comparable values: the product's fields, its tiers, and each
    SKU's fields under its 1688 skuId."""
    snapshot: dict = {name: getattr(product, name) for name in _PRODUCT_IMPORT_FIELDS}
    snapshot["tiers"] = [
        (t.min_quantity, t.unit_price_cny, t.promotion_price_cny)
        for t in PriceTier.objects.filter(product=product).order_by("min_quantity")
    ]
    snapshot["skus"] = {
        sku.source_sku_id or sku.code: {name: getattr(sku, name) for name in _SKU_IMPORT_FIELDS}
        for sku in Sku.objects.filter(product=product)
    }
    return snapshot


def _changed_fields(before: dict, after: dict) -> list[str]:
    changed = [
        name for name in (*_PRODUCT_IMPORT_FIELDS, "tiers") if before.get(name) != after[name]
    ]
    for sku_id, fields in after["skus"].items():
        old = before["skus"].get(sku_id)
        if old is None:
            changed.append(f"skus.{sku_id}: added")
            continue
        changed += [f"skus.{sku_id}.{name}" for name in fields if old.get(name) != fields[name]]
    return changed


def _merge_translations(old: list, new: list) -> list:
    """`new` (this import's attributes), keeping the translations into other languages that
    earlier imports stored for the same attribute (same id, name and value)."""
    unused = [item for item in old if isinstance(item, dict)]
    merged = []
    for item in new:
        key = (item["id"], item["name"], item["value"])
        match = next((o for o in unused if (o.get("id"), o.get("name"), o.get("value")) == key),
                     None)  # fmt: skip
        if match is not None:
            unused.remove(match)
            item = {**item, "trans": {**(match.get("trans") or {}), **item["trans"]}}
        merged.append(item)
    return merged


def _english_pairs(items: list) -> list[tuple[str, str]]:
    """(name, value) of kept attributes as the merchant-facing `attributes` dicts hold them:
    English where 1688 gave it, else the Chinese original."""
    from catalog.models import attribute_in

    return [attribute_in(item, "en") for item in items]


def _supplier_for(seller: OfferSeller) -> Supplier:
    supplier = Supplier.objects.select_for_update().filter(member_id=seller.member_id).first()
    if supplier is None:
        return Supplier.objects.create(
            member_id=seller.member_id,
            name_zh=seller.name_zh,
            province=seller.province,
            city=seller.city,
        )
    changed = []
    # A name that is only the seller's id never replaces one staff or 1688 gave.
    if seller.name_zh and seller.name_zh != seller.member_id and seller.name_zh != supplier.name_zh:
        supplier.name_zh = seller.name_zh
        changed.append("name_zh")
    if supplier.province == Province.OTHER and seller.province != Province.OTHER:
        supplier.province, supplier.city = seller.province, seller.city or supplier.city
        changed += ["province", "city"]
    if changed:
        supplier.save(update_fields=[*changed, "updated_at"])
    return supplier


@transaction.atomic
def offer_import(
    *,
    offer: OfferRecord,
    default_category: Category | None = None,
    actor=None,
    download_images: bool = True,
) -> tuple[Product, bool]:
    """Create or update the supplier, product, SKUs and tiers of a 1688 offer, and log it.

    `offer` is `catalog.adapters.alibaba1688.parse_offer()` of a platform response. Keyed by
    the offer id (products), the seller id (suppliers) and the skuId (SKUs), so re-importing
    updates in place; every import writes an `OfferImport` row listing the fields it changed,
    with the response itself. What the response leaves out (a partial response) keeps its
    stored value; SKUs gone from the offer keep their rows (carts and orders may point at them)
    with stock 0. A new supplier starts as "applied": nothing it sells is visible until an
    account manager approves it. The offer's images are fetched after commit, by a task.
    `default_category` files an offer not imported before; one imported before stays where
    staff put it.
    """
    product = (
        Product.objects.select_for_update()
        .filter(source=Product.Source.ALIBABA_1688, source_offer_id=offer.offer_id)
        .first()
    )
    created = product is None
    category = default_category if created else product.category
    if category is None:
        raise OfferImportError(
            _("No category: choose one for offer %(id)s, which was not imported before.")
            % {"id": offer.offer_id}
        )
    before = None if created else _offer_snapshot(product)
    if created:
        product = Product(source=Product.Source.ALIBABA_1688, source_offer_id=offer.offer_id)
    supplier = _supplier_for(offer.seller)

    language = offer.language
    specifications = _merge_translations(
        product.specifications or [], [a.as_dict(language) for a in offer.attributes]
    )
    grouped: dict[str, list[str]] = {}
    for name, value in _english_pairs(specifications):
        grouped.setdefault(name[:60], []).append(value)

    product.supplier, product.category = supplier, category
    if created:  # later imports keep what staff decided on the product
        product.hazards = hazards_for_offer(offer.payload)
    product.title_zh = offer.title_zh
    if language and offer.title_trans:
        product.title_translations = {**product.title_translations, language: offer.title_trans}
    if language and offer.description_trans:
        product.description_translations = {
            **product.description_translations,
            language: offer.description_trans,
        }
    if language == "en" and offer.title_trans:
        product.title_en = offer.title_trans
    elif not product.title_en:
        product.title_en = offer.title_zh  # no English yet: the original, never another language
    if language == "en" and offer.description_trans:
        product.description_en = offer.description_trans
    product.description_zh = offer.description_zh or product.description_zh
    product.source_url = offer.source_url
    if offer.unit_source or created:
        product.unit = offer.unit if offer.unit_source else Product.Unit.PIECE
        product.unit_source, product.unit_source_trans = offer.unit_source, offer.unit_source_trans
    tiers = sorted(offer.tiers, key=lambda t: t.min_quantity)
    product.moq = (
        offer.moq
        or (product.moq if not created else None)
        or (tiers[0].min_quantity if tiers else 1)
    )
    product.order_multiple = offer.order_multiple or product.order_multiple or 1
    if offer.attributes:
        product.specifications = specifications
        product.attributes = {name: ", ".join(values) for name, values in grouped.items()}
    product.image_urls = list(offer.images) or product.image_urls or []
    if offer.ship_from:
        product.ship_from = offer.ship_from
        product.ship_from_province = offer.seller.province
    product.source_status = offer.status or product.source_status
    for name in ("consign_price_cny", "weight_kg", "length_cm", "width_cm", "height_cm"):
        value = getattr(offer, name)
        if value is not None:
            setattr(product, name, value)
    product.save()

    if offer.has_tiers or created:
        wanted = {t.min_quantity: t for t in tiers}
        product.tiers.exclude(min_quantity__in=wanted).delete()
        existing_tiers = {t.min_quantity: t for t in product.tiers.all()}
        for min_quantity, tier in wanted.items():
            row = existing_tiers.get(min_quantity) or PriceTier(
                product=product, min_quantity=min_quantity
            )
            prices = (tier.price_cny, tier.promotion_price_cny)
            if row.pk is None or (row.unit_price_cny, row.promotion_price_cny) != prices:
                row.unit_price_cny, row.promotion_price_cny = prices
                row.save()

    if offer.has_skus or created:
        _offer_skus_write(product=product, offer=offer)
    product_summary_refresh(product_ids=[product.pk])
    product.refresh_from_db()

    after = _offer_snapshot(product)
    OfferImport.objects.create(
        product=product,
        api=offer.api,
        language=language,
        created=created,
        changed_fields=["created"] if created else _changed_fields(before, after),
        payload=offer.payload,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if download_images and (product.image_urls or any(s.image_url for s in offer.skus)):
        from catalog.tasks import offer_images_fetch

        product_id = product.pk
        transaction.on_commit(lambda: offer_images_fetch.delay(product_id))
    return product, created


def _offer_skus_write(*, product: Product, offer: OfferRecord) -> None:
    existing = {s.code: s for s in product.skus.all()}
    codes = []
    for position, data in enumerate(offer.skus):
        code = f"1688-{offer.offer_id}-{data.sku_id}"
        codes.append(code)
        sku = existing.get(code)
        if sku is None:
            if Sku.objects.filter(code=code).exists():
                raise OfferImportError(f"SKU code {code} already belongs to another product")
            sku = Sku(product=product, code=code, source_sku_id=data.sku_id)
        attribute_list = _merge_translations(
            sku.attribute_list or [], [a.as_dict(offer.language) for a in data.attributes]
        )
        sku.attribute_list = attribute_list
        sku.attributes = {name[:60]: value[:120] for name, value in _english_pairs(attribute_list)}
        sku.spec_id = data.spec_id or sku.spec_id
        sku.stock = data.stock
        sku.price_cny = data.price_cny
        sku.consign_price_cny = data.consign_price_cny
        sku.promotion_price_cny = data.promotion_price_cny
        for name in ("weight_kg", "length_cm", "width_cm", "height_cm"):
            value = getattr(data, name)
            if value is not None:
                setattr(sku, name, value)
        sku.image_url = data.image_url or sku.image_url
        sku.position = position
        sku.save()
    product.skus.exclude(code__in=codes).update(stock=0)


def offer_import_from_platform(
    *, offer_id: str, category: Category | None, actor, language: str = "en"
) -> tuple[Product, bool]:
    """Fetch one offer from the open platform and import it (the "import this offer" button).
    Raises the client's DomainError when the platform cannot be asked."""
    from catalog.adapters.alibaba1688 import fetch_offer_detail, parse_offer

    response = fetch_offer_detail(offer_id=offer_id, country=language)
    return offer_import(
        offer=parse_offer(response, language=language), default_category=category, actor=actor
    )


_IMAGE_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def offer_images_download(*, product_id: int, fetch: Fetcher | None = None) -> int:
    """Store the offer's images (its own, then its SKUs') with thumbnails; link each SKU to
    its image. Fetches only what is not stored yet, through `fetch` (by default
    `catalog.adapters.images.get_fetcher()`), so tests and the fake platform never reach the
    network. An image that cannot be fetched or read is logged and skipped; imported images
    the offer no longer lists are removed. Returns how many images were stored."""
    fetch = fetch or get_fetcher()
    product = Product.objects.get(pk=product_id)
    skus = list(product.skus.exclude(image_url=""))
    wanted = list(dict.fromkeys([*product.image_urls, *(s.image_url for s in skus)]))
    stored = {i.source_url: i for i in product.images.exclude(source_url="")}
    added = 0
    for url in wanted:
        if url in stored:
            continue
        try:
            data = fetch(url)
            with Image.open(io.BytesIO(data)) as probe:
                ext = _IMAGE_FORMATS.get(probe.format or "")
            if ext is None:
                raise ImageRejected(f"{url}: not a JPEG, PNG or WebP image")
            upload = ContentFile(data, name=f"offer{ext}")
            image = product_image_add(
                product=product, upload=upload, alt_text=product.title_en[:200]
            )
        except Exception as error:  # one bad image never stops the others
            logger.warning("Offer image %s of product %s skipped: %s", url, product.pk, error)
            continue
        image.source_url = url
        image.save(update_fields=["source_url"])
        stored[url] = image
        added += 1
    for position, url in enumerate(wanted):
        if url in stored and stored[url].position != position:
            stored[url].position = position
            stored[url].save(update_fields=["position"])
    product.images.exclude(source_url="").exclude(source_url__in=wanted).delete()
    for sku in skus:
        image = stored.get(sku.image_url)
        if image is not None and sku.image_id != image.pk:
            sku.image = image
            sku.save(update_fields=["image"])
    product_summary_refresh(product_ids=[product.pk])
    return added


def product_after_admin_edit(*, product: Product) -> None:
    """After staff edited a product and its inlines: thumbnails, summaries and counts."""
    for image in product.images.filter(thumbnail=""):
        product_image_thumbnail_refresh(image=image)
    product_summary_refresh(product_ids=[product.pk])
    transaction.on_commit(category_counts_refresh)

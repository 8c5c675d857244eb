"""Catalog endpoints: categories, products with the page's search and filters, prices."""

from decimal import Decimal
from functools import partial
from typing import Annotated, Literal

from django.core.cache import cache
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AfterValidator, Field

from catalog import selectors
from catalog.models import Category, Product, Sku
from catalog.pricing import price_quote
from payments.api import Money, money
from payments.selectors import fx_mid_rate
from procurement.accounts.api import KeyAuth
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.core.api import (
    READ_ERRORS,
    AmountIn,
    ApiError,
    Id,
    IdPath,
    IdQuery,
    KeysetPagination,
    Listing,
    not_found,
)
from procurement.core.caching import cache_call

router = Router(tags=["catalog"], auth=KeyAuth("catalog:read"))


class CategoryOut(Schema):
    id: int
    parent_id: int | None
    slug: str
    name_en: str
    name_zh: str
    depth: int
    product_count: int


class SupplierOut(Schema):
    id: int
    name: str
    province: str
    rating: str | None


class PriceOut(Schema):
    cny: Money | None
    local: Money | None


class ProductOut(Schema):
    id: int
    title_en: str
    title_zh: str
    category_id: int
    unit: str
    moq: int
    order_multiple: int
    in_stock: bool
    supplier: SupplierOut
    price_from: PriceOut


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class TierOut(Schema):
    min_quantity: int
    unit_price: PriceOut


class SkuOut(Schema):
    id: int
    code: str
    attributes: dict
    stock: int
    price_override: PriceOut | None


class ProductDetailOut(ProductOut):
    description_en: str
    description_zh: str
    weight_kg: str | None
    tiers: list[TierOut]
    skus: list[SkuOut]


class PriceLineOut(Schema):
    sku_id: int | None
    quantity: int
    unit_price: PriceOut
    line_total: PriceOut


class PriceQuoteOut(Schema):
    product_id: int
    total_quantity: int
    ok: bool
    errors: list[str]
    lines: list[PriceLineOut]
    total: PriceOut


class ProductQuery(Schema):
    q: str = ""
    category: Id | None = None
    min_price_cny: AmountIn | None = None
    max_price_cny: AmountIn | None = None
    max_moq: Annotated[int, Field(ge=1, le=100_000_000)] | None = None
    min_rating: (
        Annotated[str, Field(pattern=r"^[0-5](\.[0-9])?$"), AfterValidator(Decimal)] | None
    ) = None
    province: str = ""
    in_stock: bool = False
    sort: Literal["relevance", "newest", "price", "-price", "moq"] = "newest"


# As long as the catalog pages keep theirs: rates change daily and the price shown is
# indicative (checkout locks its own quote).
DISPLAY_RATE_TTL = 60  # seconds


def display_rate(currency: str) -> Decimal | None:
    """CNY -> `currency`, read once per request and kept a minute in the cache: the lookup is
    four queries (the pair, its inverse and both legs through EUR), more than the page itself."""
    key = f"api:display-rate:{SETTLEMENT_CURRENCY}:{currency}"
    rate = cache_call(cache, "get", key, purpose="Display rate")
    if rate is None:
        rate = fx_mid_rate(from_currency=SETTLEMENT_CURRENCY, to_currency=currency)
        if rate is not None:
            cache_call(cache, "set", key, rate, DISPLAY_RATE_TTL, purpose="Display rate")
    return rate


def price(amount_cny: Decimal | None, *, rate: Decimal | None, currency: str) -> dict:
    local = None if amount_cny is None or rate is None else amount_cny * rate
    return {"cny": money(amount_cny, SETTLEMENT_CURRENCY), "local": money(local, currency)}


# What one row of the product list reads (named, so the catalog's keyset pager reads its cursor
# columns from the last row as it does from a Product).
_PRODUCT_ROW = (
    "id",
    "title_en",
    "title_zh",
    "category_id",
    "unit",
    "moq",
    "order_multiple",
    "in_stock",
    "min_price_cny",
    "created_at",
    "supplier_id",
    "supplier__name_en",
    "supplier__name_zh",
    "supplier__province",
    "supplier__rating",
)


def _product_row(row, *, rate, currency: str) -> dict:
    """`_product` from a row of `_PRODUCT_ROW`: the same answer without a Product and a
    Supplier built per row."""
    rating = row.supplier__rating
    return {
        "id": row.id,
        "title_en": row.title_en,
        "title_zh": row.title_zh,
        "category_id": row.category_id,
        "unit": row.unit,
        "moq": row.moq,
        "order_multiple": row.order_multiple,
        "in_stock": row.in_stock,
        "supplier": {
            "id": row.supplier_id,
            "name": row.supplier__name_en or row.supplier__name_zh,
            "province": row.supplier__province,
            "rating": None if rating is None else str(rating),
        },
        "price_from": price(row.min_price_cny, rate=rate, currency=currency),
    }


def _product(product: Product, *, rate, currency: str) -> dict:
    supplier = product.supplier
    return {
        "id": product.pk,
        "title_en": product.title_en,
        "title_zh": product.title_zh,
        "category_id": product.category_id,
        "unit": product.unit,
        "moq": product.moq,
        "order_multiple": product.order_multiple,
        "in_stock": product.in_stock,
        "supplier": {
            "id": supplier.pk,
            "name": supplier.display_name,
            "province": supplier.province,
            "rating": None if supplier.rating is None else str(supplier.rating),
        },
        "price_from": price(product.min_price_cny, rate=rate, currency=currency),
    }


@router.get("/categories", response={200: list[CategoryOut], **READ_ERRORS})
def category_list(request):
    return list(Category.objects.order_by("depth", "position", "name_en", "pk"))


@router.get("/products", response={200: ProductPage, **READ_ERRORS})
@paginate(KeysetPagination, page_size=selectors.PAGE_SIZE)
def product_list(request, query: Query[ProductQuery]):
    # The page's search, filters and sorts; each sort pages by its own keyset, as the page does.
    currency = request.auth.company.wallet_currency
    rate = display_rate(currency)
    category_ids = None
    if query.category is not None:
        tree = selectors.category_tree()
        node = tree.nodes.get(query.category)
        if node is None:
            raise not_found()
        category_ids = tree.descendant_ids(node)
    filters = selectors.ProductFilters(
        query=query.q.strip()[:200],
        category_ids=category_ids,
        min_price_cny=query.min_price_cny,
        max_price_cny=query.max_price_cny,
        max_moq=query.max_moq,
        min_rating=query.min_rating,
        province=query.province,
        in_stock=query.in_stock,
        sort=query.sort,
    )
    # Named rows instead of products; the page written as ProductPage declares it.
    return Listing(
        selectors.product_listing(filters).values_list(*_PRODUCT_ROW, named=True),
        show=partial(_product_row, rate=rate, currency=currency),
        pages=partial(selectors.paginate, sort=filters.sort),
        direct=True,
    )


def _visible_product(pk: int) -> Product:
    try:
        return selectors.product_detail(pk=pk)
    except Product.DoesNotExist as error:
        raise not_found() from error


@router.get("/products/{product_id}", response={200: ProductDetailOut, **READ_ERRORS})
def product_detail(request, product_id: IdPath):
    product = _visible_product(product_id)
    currency = request.auth.company.wallet_currency
    rate = display_rate(currency)
    data = _product(product, rate=rate, currency=currency)
    data.update(
        description_en=product.description_en,
        description_zh=product.description_zh,
        weight_kg=None if product.weight_kg is None else str(product.weight_kg),
        tiers=[
            {
                "min_quantity": tier.min_quantity,
                "unit_price": price(tier.unit_price_cny, rate=rate, currency=currency),
            }
            for tier in sorted(product.tiers.all(), key=lambda t: t.min_quantity)
        ],
        skus=[
            {
                "id": sku.pk,
                "code": sku.code,
                "attributes": sku.attributes,
                "stock": sku.stock,
                "price_override": (
                    None
                    if sku.price_cny is None
                    else price(sku.price_cny, rate=rate, currency=currency)
                ),
            }
            for sku in product.skus.all()
        ],
    )
    return data


@router.get("/products/{product_id}/price", response={200: PriceQuoteOut, **READ_ERRORS})
def product_price(
    request,
    product_id: IdPath,
    quantity: Annotated[int, Query(ge=1, le=10_000_000)],
    sku_id: IdQuery = None,
):
    """The price of `quantity` units (of one SKU, or of the product): tier, MOQ and multiples."""
    product = _visible_product(product_id)
    sku: Sku | None = None
    if sku_id is not None:
        sku = next((s for s in product.skus.all() if s.pk == sku_id), None)
        if sku is None:
            raise ApiError(422, "invalid", _("This SKU is not a variant of the product."), "sku_id")
    if quantity < 0 or quantity > 10_000_000:
        raise ApiError(422, "invalid", _("Choose how many you want."), "quantity")
    currency = request.auth.company.wallet_currency
    rate = display_rate(currency)
    quote = price_quote(product=product, quantities={sku: quantity}, tiers=product.tiers.all())
    return {
        "product_id": product.pk,
        "total_quantity": quote.total_quantity,
        "ok": quote.ok,
        "errors": [str(e) for e in quote.errors],
        "lines": [
            {
                "sku_id": line.sku.pk if line.sku else None,
                "quantity": line.quantity,
                "unit_price": price(line.unit_price_cny, rate=rate, currency=currency),
                "line_total": price(line.line_total_cny, rate=rate, currency=currency),
            }
            for line in quote.lines
        ],
        "total": price(quote.total_cny, rate=rate, currency=currency),
    }

"""Catalog reads. `products_visible()` is the one definition of what merchants may see."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from catalog.models import Category, PriceTier, Product, ProductImage, Sku, Supplier
from catalog.search import (  # noqa: F401 (callers import search_products here)
    partitions_in_turn,
    search_match,
    search_products,
)

PAGE_SIZE = 24
MAX_RELEVANCE_PAGES = 10  # relevance pages by offset; beyond this, refine the search
RELEVANCE_CANDIDATES = MAX_RELEVANCE_PAGES * PAGE_SIZE


def products_visible() -> QuerySet[Product]:
    """Active products of approved suppliers: every merchant-facing read starts here."""
    return Product.objects.filter(is_active=True, supplier__status=Supplier.Status.APPROVED)


# --- scorecard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    """A supplier's record, computed from purchase-order outcomes, never typed in."""

    orders_count: int
    on_time_dispatch_rate: Decimal | None
    defect_rate: Decimal | None
    cancellation_rate: Decimal | None
    average_response_hours: Decimal | None
    products_count: int
    rating: Decimal | None  # 0-5, None until there is an order to judge by

    @property
    def has_history(self) -> bool:
        return self.orders_count > 0


def _ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def scorecard_rating(
    *,
    on_time_dispatch_rate: Decimal | None,
    defect_rate: Decimal | None,
    cancellation_rate: Decimal | None,
    average_response_hours: Decimal | None,
) -> Decimal | None:
    """Weighted 0-5 score of the parts that are known; None when nothing is known."""
    parts: list[tuple[Decimal, Decimal]] = []
    if on_time_dispatch_rate is not None:
        parts.append((Decimal("0.35"), on_time_dispatch_rate))
    if defect_rate is not None:
        # A 10% defect rate is already a failing grade.
        parts.append((Decimal("0.35"), max(Decimal(0), 1 - defect_rate * 10)))
    if cancellation_rate is not None:
        parts.append((Decimal("0.20"), 1 - cancellation_rate))
    if average_response_hours is not None:
        parts.append((Decimal("0.10"), max(Decimal(0), 1 - average_response_hours / 48)))
    if not parts:
        return None
    weight = sum(w for w, _v in parts)
    score = sum(w * v for w, v in parts) / weight * 5
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def supplier_scorecard(supplier: Supplier) -> Scorecard:
    """One aggregate query over the supplier's performance records plus its product count."""
    agg = supplier.performance.aggregate(
        orders=Count("id"),
        judged=Count("id", filter=Q(dispatched_on_time__isnull=False)),
        on_time=Count("id", filter=Q(dispatched_on_time=True)),
        cancelled=Count("id", filter=Q(cancelled=True)),
        inspected=Coalesce(Sum("units_inspected"), 0),
        defective=Coalesce(Sum("units_defective"), 0),
        response=Avg("response_minutes"),
    )
    products_count = getattr(supplier, "products_count", None)
    if products_count is None:
        products_count = supplier.products.filter(is_active=True).count()
    on_time = _ratio(agg["on_time"], agg["judged"])
    defects = _ratio(agg["defective"], agg["inspected"])
    cancels = _ratio(agg["cancelled"], agg["orders"])
    response = (
        None
        if agg["response"] is None
        else (Decimal(str(agg["response"])) / 60).quantize(Decimal("0.1"))
    )
    return Scorecard(
        orders_count=agg["orders"],
        on_time_dispatch_rate=on_time,
        defect_rate=defects,
        cancellation_rate=cancels,
        average_response_hours=response,
        products_count=products_count,
        rating=scorecard_rating(
            on_time_dispatch_rate=on_time,
            defect_rate=defects,
            cancellation_rate=cancels,
            average_response_hours=response,
        ),
    )


# --- categories ----------------------------------------------------------------------------


@dataclass
class CategoryTree:
    """The whole tree from one query; categories are few, products many."""

    nodes: dict[int, Category]
    children: dict[int | None, list[Category]]
    by_slug: dict[str, Category]

    @property
    def roots(self) -> list[Category]:
        return self.children.get(None, [])

    def children_of(self, category: Category) -> list[Category]:
        return self.children.get(category.pk, [])

    def ancestors(self, category: Category) -> list[Category]:
        """Root first, `category` last."""
        chain = []
        node: Category | None = category
        while node is not None:
            chain.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        return list(reversed(chain))

    def descendant_ids(self, category: Category) -> list[int]:
        ids, stack = [], [category]
        while stack:
            node = stack.pop()
            ids.append(node.pk)
            stack.extend(self.children.get(node.pk, []))
        return ids


# (generation, when built, tree) of this process: the tree is read-only once built, so requests
# share it. Rebuilt after TREE_MEMO_SECONDS even at the same generation: a change committed
# while the cache was unreachable could not move the generation.
_tree_memo: tuple[str, float, CategoryTree] | None = None
TREE_MEMO_SECONDS = 300


def category_tree(*, generation: str | None = None) -> CategoryTree:
    """The tree, rebuilt when the catalog's `generation` (catalog.generation) moved; with none
    (the cache unreachable), rebuilt every time."""
    global _tree_memo
    memo = _tree_memo
    if (
        generation is not None
        and memo is not None
        and memo[0] == generation
        and time.monotonic() - memo[1] < TREE_MEMO_SECONDS
    ):
        return memo[2]
    nodes: dict[int, Category] = {}
    children: dict[int | None, list[Category]] = {}
    by_slug: dict[str, Category] = {}
    for cat in Category.objects.order_by("depth", "position", "name_en", "pk"):
        nodes[cat.pk] = cat
        by_slug[cat.slug] = cat
        children.setdefault(cat.parent_id, []).append(cat)
    for cat in nodes.values():
        cat.subcategories = children.get(cat.pk, [])
    tree = CategoryTree(nodes=nodes, children=children, by_slug=by_slug)
    if generation is not None:
        _tree_memo = (generation, time.monotonic(), tree)
    return tree


# --- search, filters, sorts, pages ---------------------------------------------------------


class Sort:
    RELEVANCE = "relevance"
    NEWEST = "newest"
    PRICE_ASC = "price"
    PRICE_DESC = "-price"
    MOQ = "moq"

    CHOICES = (RELEVANCE, NEWEST, PRICE_ASC, PRICE_DESC, MOQ)


# sort -> ((field, descending), ...) always ending with the primary key for a total order
_KEYSET: dict[str, tuple[tuple[str, bool], ...]] = {
    Sort.NEWEST: (("created_at", True), ("id", True)),
    Sort.PRICE_ASC: (("min_price_cny", False), ("id", False)),
    Sort.PRICE_DESC: (("min_price_cny", True), ("id", True)),
    Sort.MOQ: (("moq", False), ("id", False)),
}


def _unindexed(name: str, desc: bool) -> OrderBy:
    """Order by the column `name` through `column + 0`, which no index of the column serves
    (the id, the last key, stays plain: it only breaks ties)."""
    if name == "id":
        return OrderBy(F(name), descending=desc)
    field = Product._meta.get_field(name)
    zero = Value(timedelta(0)) if name == "created_at" else Value(0)
    return OrderBy(ExpressionWrapper(F(name) + zero, output_field=field), descending=desc)


@dataclass(frozen=True)
class ProductFilters:
    query: str = ""
    category_ids: Sequence[int] | None = None
    min_price_cny: Decimal | None = None
    max_price_cny: Decimal | None = None
    max_moq: int | None = None
    min_rating: Decimal | None = None
    province: str = ""
    in_stock: bool = False
    sort: str = Sort.NEWEST
    # The category tree, for search words that name a category (read when not given).
    categories: CategoryTree | None = field(default=None, compare=False, repr=False)


def product_listing(filters: ProductFilters) -> QuerySet[Product]:
    """Visible products filtered and ordered; relations for the result cards fetched."""
    qs = products_visible()
    if filters.category_ids is not None:
        ids = list(filters.category_ids)
        qs = qs.filter(category_id=ids[0]) if len(ids) == 1 else qs.filter(category_id__in=ids)
    if filters.min_price_cny is not None:
        qs = qs.filter(min_price_cny__gte=filters.min_price_cny)
    if filters.max_price_cny is not None:
        qs = qs.filter(min_price_cny__lte=filters.max_price_cny)
    if filters.max_moq is not None:
        qs = qs.filter(moq__lte=filters.max_moq)
    if filters.min_rating is not None:
        qs = qs.filter(supplier__rating__gte=filters.min_rating)
    if filters.province:
        qs = qs.filter(supplier__province=filters.province)
    if filters.in_stock:
        qs = qs.filter(in_stock=True)
    sort = filters.sort
    match = None
    filtered = qs
    if filters.query:
        match = search_match(qs, filters.query, tree=filters.categories)
        qs = match.products
    if sort == Sort.RELEVANCE and match is not None and match.rows is not None:
        # Ranking every match of a common word would read them all: the index gives the first
        # RELEVANCE_CANDIDATES matches (they fill MAX_RELEVANCE_PAGES pages) and only those
        # are ranked, from their search rows. The matching rows lead, each checked against
        # the filters, so that the partitions are read in turn and the first that complete
        # the candidates end the read (`search.partitions_in_turn`); joined the other way,
        # the planner may hash every match of every partition to look the products up.
        candidates = match.rows.filter(Exists(filtered.filter(pk=OuterRef("product_id")))).values(
            "product_id"
        )[:RELEVANCE_CANDIDATES]
        qs = (
            Product.objects.filter(pk__in=Subquery(candidates))
            .annotate(rank=match.rank)
            .order_by("-rank", "-id")
        )
    else:
        if sort not in _KEYSET:
            sort = Sort.NEWEST
        if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
            # A product with no price yet cannot be placed in a price order.
            qs = qs.filter(min_price_cny__isnull=False)
        if (
            match is not None
            and not match.common
            and len(match.words) > 1
            and connection.vendor == "postgresql"
        ):
            # The planner guesses a search's matches from each word's frequency and walks the
            # column's index, testing product after product, to meet a page of them: up to a
            # second for "wireless wok" (1,506 matches of 1,000,000). Ordered by the column
            # behind an expression the index cannot serve, the matches are gathered from the
            # search index and sorted instead (20 ms). One word the planner estimates well, and
            # common words keep the walk.
            qs = qs.order_by(*[_unindexed(name, desc) for name, desc in _KEYSET[sort]])
        else:
            qs = qs.order_by(*[("-" if desc else "") + name for name, desc in _KEYSET[sort]])
    return qs.select_related("supplier").only(
        "id",
        "title_en",
        "title_zh",
        "unit",
        "moq",
        "order_multiple",
        "min_price_cny",
        "in_stock",
        "cover_thumbnail",
        "created_at",
        "category_id",
        "supplier__id",
        "supplier__name_en",
        "supplier__name_zh",
        "supplier__province",
        "supplier__rating",
    )


@dataclass
class Page:
    items: list[Product]
    next_cursor: str | None
    is_first: bool = True
    extra: dict = field(default_factory=dict)


def _encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return values if isinstance(values, list) else None


def _cursor_value(name: str, raw):
    if name == "id" or name == "moq":
        return int(raw)
    if name == "created_at":
        return datetime.fromisoformat(raw)
    if name == "min_price_cny":
        return Decimal(raw)
    raise ValueError(name)


def _dump_value(value) -> str | int:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def paginate(qs: QuerySet[Product], *, sort: str, after: str = "", size: int = PAGE_SIZE) -> Page:
    """Keyset pages for the column sorts (constant cost at any depth); a bounded offset for
    relevance, whose score is not a column."""
    ordering = [str(o) for o in qs.query.order_by]
    if ordering and ordering[0] == "-rank":
        try:
            page_no = max(0, min(int(after or 0), MAX_RELEVANCE_PAGES - 1))
        except ValueError:
            page_no = 0
        with partitions_in_turn(qs.db):
            rows = list(qs[page_no * size : page_no * size + size + 1])
        has_more = len(rows) > size and page_no + 1 < MAX_RELEVANCE_PAGES
        return Page(
            items=rows[:size],
            next_cursor=str(page_no + 1) if has_more else None,
            is_first=page_no == 0,
        )
    spec = _KEYSET.get(sort, _KEYSET[Sort.NEWEST])
    values = _decode_cursor(after) if after else None
    if values is not None and len(values) == len(spec):
        try:
            typed = [_cursor_value(name, raw) for (name, _d), raw in zip(spec, values, strict=True)]
        except (ValueError, TypeError, InvalidOperation):
            typed = None
        if typed is not None:
            qs = qs.filter(_after_condition(spec, typed))
    else:
        values = None
    rows = list(qs[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = items[-1]
        next_cursor = _encode_cursor([_dump_value(getattr(last, name)) for name, _d in spec])
    return Page(items=items, next_cursor=next_cursor, is_first=values is None)


def _after_condition(spec, values) -> Q:
    """(a, b) after (x, y) in the given directions: a > x OR (a = x AND b > y), plus the
    redundant a >= x, which lets the database start its index range at the cursor."""
    condition = Q()
    for i, (name, desc) in enumerate(spec):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{spec[j][0]: values[j]})
        condition |= step
    first, first_desc = spec[0]
    return Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]}) & condition


# --- product page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductPage:
    """What the product page shows, read in four plain queries."""

    product: Product
    images: list[ProductImage]
    skus: list[Sku]
    tiers: list[PriceTier]


def product_page(*, pk: int) -> ProductPage:
    """A visible product with its supplier, photos, SKUs (with their photo) and price tiers;
    raises Product.DoesNotExist.

    Plain filters on the product's id rather than prefetch_related: the prefetch builds an
    `IN` over the fetched products and, as the related models order by their product first,
    joins the product table back in to sort by its default order; for one product that cost
    more in Python than the rows themselves. Nothing is ordered by the product's default
    order either (one row)."""
    product = products_visible().select_related("supplier").order_by().get(pk=pk)
    return ProductPage(
        product=product,
        images=list(ProductImage.objects.filter(product_id=pk).order_by("position", "pk")),
        skus=list(
            Sku.objects.filter(product_id=pk).select_related("image").order_by("position", "pk")
        ),
        tiers=list(PriceTier.objects.filter(product_id=pk).order_by("min_quantity")),
    )


def product_detail(*, pk: int) -> Product:
    """A visible product with everything its page shows but its category chain (the page takes
    that from `category_tree()`); raises Product.DoesNotExist."""
    return (
        products_visible()
        .select_related("supplier")
        .prefetch_related(
            "images",
            Prefetch(
                "skus", queryset=Sku.objects.select_related("image").order_by("position", "pk")
            ),
            "tiers",
        )
        .get(pk=pk)
    )

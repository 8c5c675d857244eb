"""Synthetic catalog at scale, for benchmarks and load tests: `manage.py seed_catalog`.

Rows are generated in batches and written with COPY on PostgreSQL (bulk_create elsewhere).
Product ids are allocated up front so SKUs and tiers can reference them without a round trip.
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from catalog.demo import _ensure_categories, _ensure_fx_rates, placeholder_image
from catalog.models import (
    Category,
    PriceTier,
    Product,
    Province,
    Sku,
    Supplier,
    SupplierPerformance,
)
from catalog.services import (
    category_counts_refresh,
    supplier_scorecard_refresh,
    thumbnail_bytes,
)

# Per leaf: nouns (English, Chinese). Adjectives and specs are shared.
NOUNS: dict[str, list[tuple[str, str]]] = {
    "mugs-cups": [("mug", "马克杯"), ("tumbler", "随行杯"), ("tea cup", "茶杯"), ("cup", "杯子")],
    "cookware": [("frying pan", "煎锅"), ("wok", "炒锅"), ("saucepan", "奶锅"), ("pot", "汤锅")],
    "candles": [("scented candle", "香薰蜡烛"), ("pillar candle", "柱蜡烛"), ("tealight", "茶蜡")],
    "storage-baskets": [("storage basket", "收纳筐"), ("storage box", "收纳箱"), ("bin", "收纳桶")],
    "earphones": [("earbuds", "耳机"), ("headphones", "头戴耳机"), ("earphones", "入耳式耳机")],
    "speakers": [("speaker", "音箱"), ("soundbar", "回音壁"), ("subwoofer", "低音炮")],
    "phone-cases": [("phone case", "手机壳"), ("phone cover", "手机套"), ("bumper", "边框")],
    "chargers-cables": [("cable", "数据线"), ("charger", "充电器"), ("power bank", "充电宝")],
    "dresses": [("dress", "连衣裙"), ("maxi dress", "长裙"), ("shirt dress", "衬衫裙")],
    "womens-tshirts": [("T-shirt", "T恤"), ("crop top", "短款上衣"), ("tank top", "背心")],
    "hats-caps": [("baseball cap", "棒球帽"), ("bucket hat", "渔夫帽"), ("sun hat", "遮阳帽")],
    "socks": [("socks", "袜子"), ("ankle socks", "短袜"), ("hiking socks", "徒步袜")],
    "yoga-mats": [("yoga mat", "瑜伽垫"), ("exercise mat", "健身垫"), ("pilates mat", "普拉提垫")],
    "resistance-bands": [("resistance band", "弹力带"), ("loop band", "弹力圈"), ("tube", "拉绳")],
    "tents": [("tent", "帐篷"), ("sun shelter", "遮阳棚"), ("canopy", "天幕")],
    "water-bottles": [("water bottle", "水壶"), ("sports bottle", "运动水杯"), ("flask", "保温壶")],
}  # fmt: skip
ADJECTIVES = [
    ("ceramic", "陶瓷"), ("stainless steel", "不锈钢"), ("bamboo", "竹制"), ("silicone", "硅胶"),
    ("cotton", "纯棉"), ("portable", "便携"), ("waterproof", "防水"), ("wireless", "无线"),
    ("eco-friendly", "环保"), ("foldable", "可折叠"), ("vintage", "复古"), ("minimalist", "简约"),
    ("heavy duty", "加厚"), ("lightweight", "轻便"), ("premium", "高档"), ("kids", "儿童"),
    ("outdoor", "户外"), ("magnetic", "磁吸"), ("insulated", "保温"), ("handmade", "手工"),
]  # fmt: skip
COLOURS = [("black", "黑色"), ("white", "白色"), ("navy", "藏青"), ("pink", "粉色"),
           ("grey", "灰色"), ("green", "绿色"), ("beige", "米色"), ("red", "红色")]  # fmt: skip
SIZES = ["S", "M", "L", "XL"]
# One product in RARE_EVERY carries a rare word, so "a rare search term" has a few hits.
RARE_WORDS = [("tourmaline", "电气石"), ("obsidian", "黑曜石")]
RARE_EVERY = 20_000
UNITS = [Product.Unit.PIECE] * 6 + [Product.Unit.SET, Product.Unit.PAIR, Product.Unit.BOX]
MOQS = [1, 2, 5, 10, 10, 20, 30, 50, 50, 100, 200, 500, 1000]
PROVINCES = [
    Province.ZHEJIANG, Province.ZHEJIANG, Province.GUANGDONG, Province.GUANGDONG,
    Province.JIANGSU, Province.FUJIAN, Province.SHANDONG, Province.HEBEI, Province.SHANGHAI,
]  # fmt: skip
CNY_CENT = Decimal("0.01")


@dataclass
class SeedResult:
    suppliers: int
    products: int
    skus: int
    tiers: int


PRODUCT_COLUMNS = [
    "id", "created_at", "updated_at", "supplier_id", "category_id", "title_en", "title_zh",
    "description_en", "description_zh", "source", "source_offer_id", "source_url", "unit", "moq",
    "order_multiple", "weight_kg", "length_cm", "width_cm", "height_cm", "hs_code", "is_active",
    "attributes", "min_price_cny", "in_stock", "cover_thumbnail",
]  # fmt: skip
SKU_COLUMNS = ["product_id", "code", "attributes", "stock", "price_cny", "image_id", "position"]
TIER_COLUMNS = ["product_id", "min_quantity", "unit_price_cny"]


def _search_index_sql() -> tuple[list[str], list[str]]:
    """The GIN indexes that a large load builds once at the end: the titles' trigram indexes
    (migration 0002, for the admin's search) and the search rows' (migration 0016). The search
    rows themselves are written by the database's trigger on each COPY, set-based per batch."""
    titles = importlib.import_module("catalog.migrations.0002_search_indexes_postgres")
    search = importlib.import_module("catalog.migrations.0016_product_search_rows")
    pairs = [
        (create, drop)
        for create, drop in zip(titles.FORWARD[1:], reversed(titles.BACKWARD), strict=True)
        if "_trgm" in create
    ]
    pairs += search.INDEXES
    return [create for create, _drop in pairs], [drop for _create, drop in pairs]


def _leaf_thumbnails(leaves: list[Category]) -> dict[int, str]:
    """One stored placeholder thumbnail per leaf, shared by its seeded products."""
    names = {}
    for leaf in leaves:
        name = f"catalog/seed/{leaf.slug}.jpg"
        if not default_storage.exists(name):
            from io import BytesIO

            data = thumbnail_bytes(BytesIO(placeholder_image(leaf.name_en, size=320)))
            name = default_storage.save(name, ContentFile(data))
        names[leaf.pk] = name
    return names


def _ensure_suppliers(count: int, rng: random.Random) -> list[int]:
    """Approved suppliers (plus a few that are not, to keep visibility honest), rated from
    generated purchase-order history."""
    existing = list(
        Supplier.objects.filter(member_id__startswith="seed-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    missing = count - len(existing)
    if missing > 0:
        start = len(existing)
        statuses = (
            [Supplier.Status.APPROVED] * 18
            + [Supplier.Status.SUSPENDED]
            + [Supplier.Status.UNDER_REVIEW]
        )
        now = timezone.now()
        new = Supplier.objects.bulk_create(
            [
                Supplier(
                    member_id=f"seed-{start + i}",
                    name_zh=f"{rng.choice(['义乌', '深圳', '广州', '宁波', '东莞'])}市"
                    f"{rng.choice(['华', '盛', '达', '兴', '鑫', '源'])}"
                    f"{rng.choice(['贸易', '实业', '制品', '科技'])}{start + i}号有限公司",
                    name_en=f"Seed Supplier {start + i} Co., Ltd.",
                    province=rng.choice(PROVINCES),
                    status=rng.choice(statuses),
                    status_changed_at=now,
                )
                for i in range(missing)
            ],
            batch_size=1000,
        )
        records = []
        for supplier in new:
            quality = rng.random()
            for n in range(8):
                records.append(
                    SupplierPerformance(
                        supplier=supplier,
                        reference=f"seed:{supplier.pk}:{n}",
                        placed_at=now - timedelta(days=10 * n),
                        dispatched_on_time=rng.random() < 0.6 + quality * 0.4,
                        cancelled=rng.random() < 0.1 * (1 - quality),
                        units_inspected=100,
                        units_defective=int(rng.random() * 8 * (1 - quality)),
                        response_minutes=int(20 + rng.random() * 600 * (1 - quality)),
                    )
                )
        SupplierPerformance.objects.bulk_create(records, batch_size=2000)
        for supplier in new:
            supplier_scorecard_refresh(supplier=supplier)
        existing += [s.pk for s in new]
    return existing[:count]


def _product_rows(
    *,
    first_id: int,
    count: int,
    leaves: list[Category],
    supplier_ids: list[int],
    thumbs: dict[int, str],
    rng: random.Random,
) -> Iterator[tuple[tuple, list[tuple], list[tuple]]]:
    now = timezone.now()
    for pid in range(first_id, first_id + count):
        leaf = leaves[pid % len(leaves)]
        noun_en, noun_zh = rng.choice(NOUNS.get(leaf.slug, [(leaf.name_en.lower(), leaf.name_zh)]))
        adj_en, adj_zh = rng.choice(ADJECTIVES)
        adj2_en, adj2_zh = rng.choice(ADJECTIVES)
        colour_en, colour_zh = rng.choice(COLOURS)
        title_en = f"{adj_en.capitalize()} {adj2_en} {noun_en}, {colour_en}, model {pid % 9973}"
        title_zh = f"{adj_zh}{adj2_zh}{noun_zh} {colour_zh} {pid % 9973}型"
        if pid % RARE_EVERY == 0:
            rare_en, rare_zh = RARE_WORDS[(pid // RARE_EVERY) % len(RARE_WORDS)]
            title_en = f"{rare_en.capitalize()} {title_en[0].lower()}{title_en[1:]}"
            title_zh = rare_zh + title_zh
        base = Decimal(rng.lognormvariate(3.0, 0.9)).quantize(CNY_CENT) + Decimal("0.50")
        moq = rng.choice(MOQS)
        multiple = 1 if moq < 50 or rng.random() < 0.6 else 10
        tiers = [
            (pid, moq, base),
            (pid, moq * 5, (base * Decimal("0.93")).quantize(CNY_CENT)),
            (pid, moq * 20, (base * Decimal("0.86")).quantize(CNY_CENT)),
        ]
        sku_count = rng.choice((2, 3, 3, 4))
        skus, in_stock = [], False
        for n in range(sku_count):
            stock = 0 if rng.random() < 0.25 else rng.randint(10, 5000)
            in_stock = in_stock or stock > 0
            attrs = {"Colour": COLOURS[(pid + n) % len(COLOURS)][0].capitalize()}
            if leaf.slug in ("dresses", "womens-tshirts", "socks"):
                attrs["Size"] = SIZES[n % len(SIZES)]
            skus.append((pid, f"SEED-{pid}-{n}", json.dumps(attrs), stock, None, None, n))
        created = now - timedelta(seconds=rng.randint(0, 730 * 86400))
        weight = Decimal(rng.lognormvariate(-1.2, 0.8)).quantize(Decimal("0.001")) + Decimal(
            "0.010"
        )
        product = (
            pid, created, created, rng.choice(supplier_ids), leaf.pk, title_en, title_zh,
            f"{title_en}. Factory direct; inspected in our warehouse before dispatch.",
            f"{title_zh}。工厂直供。", Product.Source.OTHER, "", "", rng.choice(UNITS), moq,
            multiple, weight, None, None, None, "", rng.random() > 0.02,
            json.dumps({"Material": adj_en}), tiers[-1][2], in_stock, thumbs.get(leaf.pk, ""),
        )  # fmt: skip
        yield product, skus, tiers


def _write_postgres(table: str, columns: list[str], rows: list[tuple]) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _write_orm(model, columns: list[str], rows: list[tuple]) -> None:
    objects = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        if "attributes" in values and isinstance(values["attributes"], str):
            values["attributes"] = json.loads(values["attributes"])
        objects.append(model(**values))
    model.objects.bulk_create(objects, batch_size=1000)


def seed_catalog(
    *,
    products: int,
    suppliers: int | None = None,
    batch_size: int = 5000,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Add `products` synthetic products (about three SKUs and three tiers each)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, repeatable on purpose
    _ensure_categories()
    _ensure_fx_rates()
    leaves = list(Category.objects.filter(depth=2).order_by("pk"))
    supplier_ids = _ensure_suppliers(suppliers or max(20, min(5000, products // 500)), rng)
    thumbs = _leaf_thumbnails(leaves)
    postgres = connection.vendor == "postgresql"
    first_id = (Product.objects.aggregate(m=Max("id"))["m"] or 0) + 1

    drop_indexes = postgres and products >= 100_000
    forward, backward = _search_index_sql()
    if postgres:
        # The search rows' partitions for every id this load writes (migration 0017), made
        # before it: rows that landed in the DEFAULT partition would have to move after.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT catalog_productsearch_extend(%s)", [first_id + max(products, 1) - 1]
            )
    if drop_indexes:
        # Building the GIN indexes once at the end is far faster than maintaining them.
        with connection.cursor() as cursor:
            for statement in backward:
                cursor.execute(statement)

    totals = SeedResult(suppliers=len(supplier_ids), products=0, skus=0, tiers=0)
    rows = _product_rows(
        first_id=first_id,
        count=products,
        leaves=leaves,
        supplier_ids=supplier_ids,
        thumbs=thumbs,
        rng=rng,
    )
    done = 0
    while done < products:
        size = min(batch_size, products - done)
        product_rows, sku_rows, tier_rows = [], [], []
        for _ in range(size):
            product, skus, tiers = next(rows)
            product_rows.append(product)
            sku_rows.extend(skus)
            tier_rows.extend(tiers)
        with transaction.atomic():
            if postgres:
                _write_postgres("catalog_product", PRODUCT_COLUMNS, product_rows)
                _write_postgres("catalog_sku", SKU_COLUMNS, sku_rows)
                _write_postgres("catalog_pricetier", TIER_COLUMNS, tier_rows)
            else:
                _write_orm(Product, PRODUCT_COLUMNS, product_rows)
                _write_orm(Sku, SKU_COLUMNS, sku_rows)
                _write_orm(PriceTier, TIER_COLUMNS, tier_rows)
        done += size
        totals.products += size
        totals.skus += len(sku_rows)
        totals.tiers += len(tier_rows)
        if progress:
            progress(size)

    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('catalog_product', 'id'), "
                "(SELECT MAX(id) FROM catalog_product))"
            )
            if drop_indexes:
                for statement in forward:
                    cursor.execute(statement)
            # Fresh statistics for the planner; VACUUM too where it may run (not inside a
            # transaction) so counts by index, such as a supplier's products, read no rows.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(
                f"{command} catalog_supplier, catalog_supplierperformance, catalog_category, "
                "catalog_product, catalog_sku, catalog_pricetier, catalog_productsearch, "
                "catalog_searchword"
            )
    category_counts_refresh()
    return totals

"""A small, realistic demo catalog for development: `seed_demo_catalog()`; safe to run twice.

Products go in through the same path as a real 1688 import (parse_offer -> offer_import), so
the demo exercises the code merchants depend on.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from catalog.adapters.alibaba1688 import parse_offer
from catalog.models import Category, Product, Supplier
from catalog.services import (
    category_counts_refresh,
    category_create,
    offer_import,
    product_image_add,
    supplier_performance_record,
    supplier_transition,
)
from payments.models import FxRate

# (slug, English, Chinese, children)
CATEGORY_TREE = [
    ("home-kitchen", "Home & Kitchen", "家居厨房", [
        ("kitchenware", "Kitchenware", "厨具", [
            ("mugs-cups", "Mugs & Cups", "杯子"),
            ("cookware", "Cookware", "锅具"),
        ]),
        ("home-decor", "Home Decor", "家居装饰", [
            ("candles", "Candles", "蜡烛"),
            ("storage-baskets", "Storage Baskets", "收纳筐"),
        ]),
    ]),
    ("electronics", "Electronics", "电子产品", [
        ("audio", "Audio", "影音", [
            ("earphones", "Earphones", "耳机"),
            ("speakers", "Speakers", "音箱"),
        ]),
        ("phone-accessories", "Phone Accessories", "手机配件", [
            ("phone-cases", "Phone Cases", "手机壳"),
            ("chargers-cables", "Chargers & Cables", "充电器与数据线"),
        ]),
    ]),
    ("apparel", "Apparel", "服装", [
        ("womens-clothing", "Women's Clothing", "女装", [
            ("dresses", "Dresses", "连衣裙"),
            ("womens-tshirts", "T-shirts", "T恤"),
        ]),
        ("apparel-accessories", "Accessories", "服饰配件", [
            ("hats-caps", "Hats & Caps", "帽子"),
            ("socks", "Socks", "袜子"),
        ]),
    ]),
    ("sports-outdoors", "Sports & Outdoors", "运动户外", [
        ("fitness", "Fitness", "健身", [
            ("yoga-mats", "Yoga Mats", "瑜伽垫"),
            ("resistance-bands", "Resistance Bands", "弹力带"),
        ]),
        ("camping", "Camping", "露营", [
            ("tents", "Tents", "帐篷"),
            ("water-bottles", "Water Bottles", "水壶"),
        ]),
    ]),
]  # fmt: skip

# Suppliers and products, described in plain data (catalog/fixtures/demo_catalog.json).
DATA_FILE = Path(__file__).resolve().parent / "fixtures" / "demo_catalog.json"


def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


COLOURS = [("White", "白色"), ("Black", "黑色"), ("Navy", "藏青色"), ("Pink", "粉色")]
SIZES = ["S", "M", "L", "XL"]

SEED_RATES = {  # 1 EUR = x; enough to show every wallet currency against CNY
    "CNY": Decimal("7.8000"),
    "USD": Decimal("1.0800"),
    "GBP": Decimal("0.8500"),
    "JPY": Decimal("162.00"),
    "AUD": Decimal("1.6500"),
    "CAD": Decimal("1.4800"),
    "HKD": Decimal("8.4300"),
    "SGD": Decimal("1.4500"),
}


def _offer_record(index: int, spec: dict, suppliers: dict[str, dict]) -> dict:
    """A `product.search.queryProductDetail` response (requested in English), shaped as the open
    platform answers it, for one demo product."""
    member_id, title_en, title_zh = spec["member_id"], spec["title_en"], spec["title_zh"]
    moq, axis = spec["moq"], spec["variants"]
    base = Decimal(spec["price_cny"])
    offer_id = 700000000000 + index
    tiers = [
        {"startQuantity": moq, "price": str(base), "promotionPrice": None},
        {
            "startQuantity": moq * 5,
            "price": str((base * Decimal("0.92")).quantize(Decimal("0.01"))),
            "promotionPrice": None,
        },
        {
            "startQuantity": moq * 20,
            "price": str((base * Decimal("0.85")).quantize(Decimal("0.01"))),
            "promotionPrice": None,
        },
    ]
    combos: list[list[tuple[int, str, str, str, str]]] = []
    colour, size = (3216, "Colour", "颜色"), (450, "Size", "尺码")
    if axis == "colour":
        combos = [[(*colour, en, zh)] for en, zh in COLOURS[:3]]
    elif axis == "size":
        combos = [[(*size, s, s)] for s in SIZES[:3]]
    elif axis == "colour+size":
        combos = [[(*colour, en, zh), (*size, s, s)] for en, zh in COLOURS[:2] for s in SIZES[:3]]
    skus = []
    for n, combo in enumerate(combos):
        skus.append(
            {
                "amountOnSale": 0 if (index + n) % 7 == 0 else 200 + 37 * n,
                "price": None,
                "skuId": offer_id * 100 + n,
                "specId": f"{offer_id:016x}{n:016x}",
                "skuAttributes": [
                    {"attributeId": attribute_id, "attributeName": zh_name,
                     "attributeNameTrans": en_name, "value": zh_value, "valueTrans": en_value,
                     "skuImageUrl": None}
                    for attribute_id, en_name, zh_name, en_value, zh_value in combo
                ],
                "consignPrice": None,
                "promotionPrice": None,
            }
        )  # fmt: skip
    supplier = suppliers[member_id]
    return {
        "result": {
            "success": True,
            "code": "200",
            "message": "成功",
            "result": {
                "offerId": offer_id,
                "subject": title_zh,
                "subjectTrans": title_en,
                "description": f"{title_zh}。工厂直供，支持批发。",  # noqa: RUF001
                "descriptionTrans": f"{title_en}. Factory direct, wholesale supply, "
                "inspected before dispatch.",
                "productImage": {"images": []},
                "productAttribute": [
                    {
                        "attributeId": "1",
                        "attributeName": "产地",
                        "value": supplier["city"],
                        "attributeNameTrans": "Origin",
                        "valueTrans": "",
                    },
                ],
                "productSkuInfos": skus,
                "productSaleInfo": {
                    "amountOnSale": sum(s["amountOnSale"] for s in skus),
                    "priceRangeList": tiers,
                    "quoteType": 2 if skus else 0,
                    "unitInfo": {"unit": spec["unit"], "transUnit": ""},
                },
                "productShippingInfo": {
                    "sendGoodsAddressText": f"{supplier['province']}{supplier['city']}",
                    "weight": spec["weight_kg"],
                    "skuShippingDetails": [],
                },
                "sellerOpenId": member_id,
                "companyName": supplier["name_zh"],
                "minOrderQuantity": moq,
                "batchNumber": spec["order_multiple"],
                "status": "published",
            },
        }
    }


def demo_offer_records() -> list[dict]:
    data = _data()
    suppliers = {s["member_id"]: s for s in data["suppliers"]}
    return [_offer_record(i, spec, suppliers) for i, spec in enumerate(data["products"])]


def placeholder_image(text: str, *, size: int = 800) -> bytes:
    """A Pillow-drawn PNG: a colour picked from the text, and the text itself."""
    digest = hashlib.sha256(text.encode()).digest()
    r, g, b = colorsys.hls_to_rgb(digest[0] / 255, 0.82, 0.45)
    img = Image.new("RGB", (size, size), (int(r * 255), int(g * 255), int(b * 255)))
    draw = ImageDraw.Draw(img)
    margin = size // 10
    draw.rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=size // 12, outline=(60, 60, 60),
        width=max(2, size // 200),
    )  # fmt: skip
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 18:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    y = size // 2 - len(lines) * 14
    for text_line in lines:
        draw.text((margin * 1.5, y), text_line, fill=(30, 30, 30))
        y += 28
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _ensure_categories() -> int:
    created = 0

    def ensure(slug, name_en, name_zh, parent, position):
        nonlocal created
        found = Category.objects.filter(slug=slug).first()
        if found:
            return found
        created += 1
        return category_create(
            slug=slug, name_en=name_en, name_zh=name_zh, parent=parent, position=position
        )

    for i, (slug, en, zh, mids) in enumerate(CATEGORY_TREE):
        root = ensure(slug, en, zh, None, i)
        for j, (mslug, men, mzh, leaves) in enumerate(mids):
            mid = ensure(mslug, men, mzh, root, j)
            for k, (lslug, len_, lzh) in enumerate(leaves):
                ensure(lslug, len_, lzh, mid, k)
    return created


def _ensure_fx_rates() -> int:
    if FxRate.objects.exists():
        return 0
    as_of = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    FxRate.objects.bulk_create(
        FxRate(base="EUR", quote=code, rate=rate, source=FxRate.Source.SEED, as_of=as_of)
        for code, rate in SEED_RATES.items()
    )
    return len(SEED_RATES)


@transaction.atomic
def seed_demo_catalog(*, with_images: bool = True) -> dict[str, int]:
    """Categories, suppliers (five approved, one under review), ~40 products with SKUs, tiers
    and placeholder images, supplier performance history and FX rates. Running it again
    changes nothing. Returns what was created."""
    counts = {"categories": _ensure_categories(), "fx_rates": _ensure_fx_rates()}
    before_products = Product.objects.count()
    before_suppliers = Supplier.objects.count()
    data = _data()
    for index, (spec, response) in enumerate(
        zip(data["products"], demo_offer_records(), strict=True)
    ):
        offer = parse_offer(response, language="en")
        if Product.objects.filter(
            source=Product.Source.ALIBABA_1688, source_offer_id=offer.offer_id
        ).exists():
            continue
        product, _created = offer_import(
            offer=offer, default_category=Category.objects.get(slug=spec["leaf"])
        )
        if with_images:
            for n, label in enumerate((offer.title_trans, offer.title_zh)):
                upload = SimpleUploadedFile(
                    f"{offer.offer_id}-{n}.png",
                    placeholder_image(label if n == 0 else f"{index + 1} / {n + 1}"),
                    content_type="image/png",
                )
                product_image_add(product=product, upload=upload, alt_text=offer.title_trans)

    now = timezone.now()
    for s_index, spec in enumerate(data["suppliers"]):
        member_id, status = spec["member_id"], spec["status"]
        supplier = Supplier.objects.get(member_id=member_id)
        if not supplier.name_en:
            # 1688 gives the Chinese company name only; staff add the English one at vetting.
            supplier.name_en = spec["name_en"]
            supplier.save(update_fields=["name_en", "updated_at"])
        if not supplier.bank_account:
            # Development-only bank details, so payouts can be built from the demo orders.
            supplier.bank_account = f"6222 0212 0000 {1000 + s_index:04d}"
            supplier.bank_name = "中国工商银行义乌分行"
            supplier.save(update_fields=["bank_account", "bank_name", "updated_at"])
        if supplier.status == Supplier.Status.APPLIED:
            supplier = supplier_transition(
                supplier=supplier,
                to_status=Supplier.Status.UNDER_REVIEW,
                actor=None,
                reason="Demo: documents received",
            )
        if status == "approved" and supplier.status == Supplier.Status.UNDER_REVIEW:
            supplier = supplier_transition(
                supplier=supplier,
                to_status=Supplier.Status.APPROVED,
                actor=None,
                reason="Demo: licence checked, factory visited",
            )
        if status != "approved":
            continue
        for n in range(12):
            reference = f"demo:{member_id}:{n}"
            if supplier.performance.filter(reference=reference).exists():
                continue
            supplier_performance_record(
                supplier=supplier,
                reference=reference,
                placed_at=now - timedelta(days=7 * (n + 1)),
                dispatched_on_time=(n + s_index) % 6 != 0,
                cancelled=(n + s_index) % 11 == 0,
                units_inspected=200,
                units_defective=(n * (s_index + 1)) % 5,
                response_minutes=30 + 45 * s_index + 5 * n,
            )
    category_counts_refresh()
    counts["suppliers"] = Supplier.objects.count() - before_suppliers
    counts["products"] = Product.objects.count() - before_products
    return counts

"""1688 offers, in the JSON shape of 1688's offer detail API, turned into plain data.

Only parsing lives here; `catalog.services.offer_import` writes it. A record looks like:

    {
      "offerId": 623456789012,
      "subject": "陶瓷马克杯 350ml", "subjectTrans": "Ceramic mug 350 ml",
      "description": "...", "descriptionTrans": "...",
      "detailUrl": "https://detail.1688.com/offer/623456789012.html",
      "categorySlug": "mugs",                      # our category (optional; see --category)
      "unit": "个",  "minOrderQuantity": 50,  "batchNumber": 10,
      "priceRanges": [{"startQuantity": 50, "price": "8.50"}, {"startQuantity": 500, ...}],
      "skuInfos": [{"skuId": 1, "price": "9.00", "amountOnSale": 800,
                    "attributes": [{"attributeName": "颜色", "attributeNameTrans": "Colour",
                                    "value": "白色", "valueTrans": "White"}]}],
      "productAttributes": [{"attributeName": "材质", "attributeNameTrans": "Material",
                             "value": "陶瓷", "valueTrans": "Ceramic"}],
      "shippingInfo": {"weight": 0.32, "length": 12, "width": 9, "height": 10},
      "sellerInfo": {"memberId": "b2b-2201234567", "companyName": "...",
                     "companyNameTrans": "...", "province": "浙江", "city": "金华",
                     "shopUrl": "https://shop1234.1688.com"}
    }
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from catalog.exceptions import OfferImportError
from catalog.models import Product, Province

UNITS = {
    "件": Product.Unit.PIECE,
    "个": Product.Unit.PIECE,
    "只": Product.Unit.PIECE,
    "支": Product.Unit.PIECE,
    "条": Product.Unit.PIECE,
    "张": Product.Unit.PIECE,
    "台": Product.Unit.PIECE,
    "把": Product.Unit.PIECE,
    "顶": Product.Unit.PIECE,
    "piece": Product.Unit.PIECE,
    "pieces": Product.Unit.PIECE,
    "pcs": Product.Unit.PIECE,
    "双": Product.Unit.PAIR,
    "对": Product.Unit.PAIR,
    "副": Product.Unit.PAIR,
    "pair": Product.Unit.PAIR,
    "套": Product.Unit.SET,
    "set": Product.Unit.SET,
    "盒": Product.Unit.BOX,
    "箱": Product.Unit.BOX,
    "box": Product.Unit.BOX,
    "米": Product.Unit.METRE,
    "metre": Product.Unit.METRE,
    "meter": Product.Unit.METRE,
    "千克": Product.Unit.KILOGRAM,
    "公斤": Product.Unit.KILOGRAM,
    "kg": Product.Unit.KILOGRAM,
    "卷": Product.Unit.ROLL,
    "roll": Product.Unit.ROLL,
    "打": Product.Unit.DOZEN,
    "dozen": Product.Unit.DOZEN,
}

PROVINCES = {
    "安徽": Province.ANHUI,
    "北京": Province.BEIJING,
    "重庆": Province.CHONGQING,
    "福建": Province.FUJIAN,
    "甘肃": Province.GANSU,
    "广东": Province.GUANGDONG,
    "广西": Province.GUANGXI,
    "贵州": Province.GUIZHOU,
    "海南": Province.HAINAN,
    "河北": Province.HEBEI,
    "黑龙江": Province.HEILONGJIANG,
    "河南": Province.HENAN,
    "湖北": Province.HUBEI,
    "湖南": Province.HUNAN,
    "内蒙古": Province.INNER_MONGOLIA,
    "江苏": Province.JIANGSU,
    "江西": Province.JIANGXI,
    "吉林": Province.JILIN,
    "辽宁": Province.LIAONING,
    "宁夏": Province.NINGXIA,
    "青海": Province.QINGHAI,
    "陕西": Province.SHAANXI,
    "山东": Province.SHANDONG,
    "上海": Province.SHANGHAI,
    "山西": Province.SHANXI,
    "四川": Province.SICHUAN,
    "天津": Province.TIANJIN,
    "西藏": Province.TIBET,
    "新疆": Province.XINJIANG,
    "云南": Province.YUNNAN,
    "浙江": Province.ZHEJIANG,
}


@dataclass(frozen=True)
class OfferSeller:
    member_id: str
    name_zh: str
    name_en: str
    province: str
    city: str
    shop_url: str


@dataclass(frozen=True)
class OfferTier:
    min_quantity: int
    unit_price_cny: Decimal


@dataclass(frozen=True)
class OfferSku:
    external_id: str
    attributes: dict[str, str]
    price_cny: Decimal | None
    stock: int


@dataclass(frozen=True)
class Offer:
    offer_id: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    source_url: str
    category_slug: str
    unit: str
    moq: int
    order_multiple: int
    tiers: tuple[OfferTier, ...]
    skus: tuple[OfferSku, ...]
    seller: OfferSeller
    attributes: dict[str, str] = field(default_factory=dict)
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


def _text(record: dict, *keys: str, required: str | None = None, limit: int = 255) -> str:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return str(value).strip()[:limit]
    if required:
        raise OfferImportError(f"{required} is missing")
    return ""


def _int(value: Any, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool):
        raise OfferImportError(f"{where}: {value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise OfferImportError(f"{where}: {value!r} is not a whole number") from None
    if number < minimum:
        raise OfferImportError(f"{where}: {number} is below {minimum}")
    return number


def _decimal(value: Any, where: str, *, positive: bool = True) -> Decimal:
    if isinstance(value, (bool, float)):
        # Floats would carry binary noise into money; the API sends prices as strings.
        value = str(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise OfferImportError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or (positive and number <= 0):
        raise OfferImportError(f"{where}: {value!r} must be above zero")
    return number


def _optional_decimal(value: Any, where: str) -> Decimal | None:
    if value in (None, "", 0, "0"):
        return None
    return _decimal(value, where)


def _attribute_pairs(items: Any, where: str) -> dict[str, str]:
    if items in (None, ""):
        return {}
    if not isinstance(items, list):
        raise OfferImportError(f"{where}: expected a list")
    pairs = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise OfferImportError(f"{where}[{i}]: expected an object")
        name = _text(item, "attributeNameTrans", "attributeName", required=f"{where}[{i}] name")
        value = _text(item, "valueTrans", "value", required=f"{where}[{i}] value")
        pairs[name[:60]] = value[:120]
    return pairs


def parse_offer(record: Any) -> Offer:
    """Validate and normalise one offer; OfferImportError says which field is wrong and why."""
    if not isinstance(record, dict):
        raise OfferImportError("record is not a JSON object")
    offer_id = _text(record, "offerId", required="offerId")
    if not offer_id.isdigit():
        raise OfferImportError(f"offerId: {offer_id!r} is not a 1688 offer id")
    subject = _text(record, "subject", required="subject")

    seller_raw = record.get("sellerInfo")
    if not isinstance(seller_raw, dict):
        raise OfferImportError("sellerInfo is missing")
    province_raw = _text(seller_raw, "province")
    seller = OfferSeller(
        member_id=_text(seller_raw, "memberId", "sellerOpenId", required="sellerInfo.memberId"),
        name_zh=_text(seller_raw, "companyName", required="sellerInfo.companyName", limit=200),
        name_en=_text(seller_raw, "companyNameTrans", "companyNameEn", limit=200),
        province=PROVINCES.get(province_raw.removesuffix("省"), Province.OTHER)
        if province_raw
        else Province.OTHER,
        city=_text(seller_raw, "city", limit=100).removesuffix("市"),
        shop_url=_text(seller_raw, "shopUrl", "winportUrl", limit=500),
    )

    ranges = record.get("priceRanges") or []
    if not isinstance(ranges, list):
        raise OfferImportError("priceRanges: expected a list")
    tiers: dict[int, OfferTier] = {}
    for i, item in enumerate(ranges):
        if not isinstance(item, dict):
            raise OfferImportError(f"priceRanges[{i}]: expected an object")
        start = _int(item.get("startQuantity"), f"priceRanges[{i}].startQuantity", minimum=1)
        tiers[start] = OfferTier(start, _decimal(item.get("price"), f"priceRanges[{i}].price"))

    skus_raw = record.get("skuInfos") or []
    if not isinstance(skus_raw, list):
        raise OfferImportError("skuInfos: expected a list")
    skus = []
    for i, item in enumerate(skus_raw):
        if not isinstance(item, dict):
            raise OfferImportError(f"skuInfos[{i}]: expected an object")
        sku_id = _text(item, "skuId", "specId", required=f"skuInfos[{i}].skuId")
        price = item.get("price", item.get("consignPrice"))
        skus.append(
            OfferSku(
                external_id=sku_id,
                attributes=_attribute_pairs(item.get("attributes"), f"skuInfos[{i}].attributes"),
                price_cny=None if price in (None, "") else _decimal(price, f"skuInfos[{i}].price"),
                stock=_int(item.get("amountOnSale", 0), f"skuInfos[{i}].amountOnSale"),
            )
        )
    if not tiers and not any(s.price_cny for s in skus):
        raise OfferImportError("no price: priceRanges is empty and no SKU has a price")

    moq = _int(record.get("minOrderQuantity", 1), "minOrderQuantity", minimum=1)
    multiple = _int(record.get("batchNumber") or 1, "batchNumber", minimum=1)
    unit_raw = _text(record, "unit", "unitTrans") or "件"
    unit = UNITS.get(unit_raw.lower())
    if unit is None:
        raise OfferImportError(f"unit: {unit_raw!r} is not a unit we sell in")

    shipping = record.get("shippingInfo") or {}
    if not isinstance(shipping, dict):
        raise OfferImportError("shippingInfo: expected an object")
    return Offer(
        offer_id=offer_id,
        title_zh=subject,
        title_en=_text(record, "subjectTrans", "subjectEn") or subject,
        description_zh=_text(record, "description", limit=20000),
        description_en=_text(record, "descriptionTrans", limit=20000),
        source_url=_text(record, "detailUrl", limit=500)
        or f"https://detail.1688.com/offer/{offer_id}.html",
        category_slug=_text(record, "categorySlug", limit=140),
        unit=unit,
        moq=moq,
        order_multiple=multiple,
        tiers=tuple(sorted(tiers.values(), key=lambda t: t.min_quantity)),
        skus=tuple(skus),
        seller=seller,
        attributes=_attribute_pairs(record.get("productAttributes"), "productAttributes"),
        weight_kg=_optional_decimal(shipping.get("weight"), "shippingInfo.weight"),
        length_cm=_optional_decimal(shipping.get("length"), "shippingInfo.length"),
        width_cm=_optional_decimal(shipping.get("width"), "shippingInfo.width"),
        height_cm=_optional_decimal(shipping.get("height"), "shippingInfo.height"),
    )

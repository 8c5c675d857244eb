"""What a 1688 offer becomes in the portal (`OfferRecord` and its parts) and the readers that
take values out of a partner response, each error naming the field path it came from.

The mapping of each field, with its source documents, is in `catalog.adapters.alibaba1688`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from catalog.adapters.html import sanitize_html
from catalog.exceptions import OfferImportError
from catalog.models import Province

API_QUERY_PRODUCT_DETAIL = "product.search.queryProductDetail"
API_PRODUCT_GET = "alibaba.product.get"
IMAGE_HOST = "https://cbu01.alicdn.com/"
KNOWN_SKU_ATTRIBUTES = {"3216": "颜色", "450": "尺码"}

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
_PROVINCE_SUFFIX = re.compile(r"^(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)")
_CITY = re.compile(r"^(.+?)(?:市|地区|自治州|盟)")

CENT = Decimal("0.01")
GRAM = Decimal("0.001")
MILLIMETRE = Decimal("0.1")


QUERY_PRODUCT_DETAIL_NAMESPACE = "com.alibaba.fenxiao.crossborder"


@dataclass(frozen=True)
class OfferAttribute:
    attribute_id: str
    name: str  # Chinese, as on 1688
    value: str
    name_trans: str = ""
    value_trans: str = ""
    image_url: str = ""

    def as_dict(self, language: str) -> dict:
        """As `Product.specifications` / `Sku.attribute_list` keep it: the Chinese original
        with its translations by language."""
        trans = {}
        if language and (self.name_trans or self.value_trans):
            trans[language] = {"name": self.name_trans, "value": self.value_trans}
        return {
            "id": self.attribute_id,
            "name": self.name,
            "value": self.value,
            "image": self.image_url,
            "trans": trans,
        }


@dataclass(frozen=True)
class OfferTier:
    min_quantity: int
    price_cny: Decimal
    promotion_price_cny: Decimal | None = None


@dataclass(frozen=True)
class OfferSku:
    sku_id: str
    spec_id: str
    attributes: tuple[OfferAttribute, ...]
    price_cny: Decimal | None
    consign_price_cny: Decimal | None = None
    promotion_price_cny: Decimal | None = None
    stock: int = 0
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None
    image_url: str = ""
    cargo_number: str = ""


@dataclass(frozen=True)
class OfferSeller:
    member_id: str
    name_zh: str
    province: str  # a Province value
    city: str


@dataclass(frozen=True)
class OfferRecord:
    """One offer as the portal keeps it, whichever API it came from."""

    api: str
    offer_id: str
    language: str  # of the translations ("" when there are none)
    title_zh: str
    title_trans: str
    description_zh: str  # sanitized HTML
    description_trans: str  # sanitized HTML
    source_url: str
    unit: str  # a Product.Unit value ("other" for a word we have no unit for)
    unit_source: str
    unit_source_trans: str
    moq: int | None  # None: the response did not say (keep what is stored)
    order_multiple: int | None
    tiers: tuple[OfferTier, ...]
    skus: tuple[OfferSku, ...]
    seller: OfferSeller
    # False when the response has no price-break list / SKU list at all (a partial response):
    # what is stored stays. An empty list does mean "none".
    has_tiers: bool = True
    has_skus: bool = True
    attributes: tuple[OfferAttribute, ...] = ()
    images: tuple[str, ...] = ()
    ship_from: str = ""
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None
    consign_price_cny: Decimal | None = None
    status: str = ""
    payload: dict = field(default_factory=dict, compare=False, repr=False)


# --- reading values, each error naming its field ---------------------------------------------


def _object(value: Any, path: str, *, required: bool = True) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise OfferImportError(
            f"{path} is missing" if value is None else f"{path}: expected an object"
        )
    return value


def _items(value: Any, path: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise OfferImportError(f"{path}: expected a list")
    return value


def _text(record: dict, key: str, path: str, *, required: bool = False, limit: int = 255) -> str:
    value = record.get(key)
    if isinstance(value, (dict, list)):
        raise OfferImportError(f"{path}.{key}: expected text")
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise OfferImportError(f"{path}.{key} is missing")
    return text[:limit]


def _id(record: dict, key: str, path: str, *, required: bool = True) -> str:
    value = record.get(key)
    if isinstance(value, (bool, dict, list, float)):
        raise OfferImportError(f"{path}.{key}: {value!r} is not an id")
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise OfferImportError(f"{path}.{key} is missing")
        return ""
    if not (text.isascii() and text.isdigit()):
        raise OfferImportError(f"{path}.{key}: {text!r} is not a 1688 id")
    return text


def _number(value: Any, where: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise OfferImportError(f"{where}: {value!r} is not a number")
    try:
        # str() first: a JSON float such as 15.9 becomes "15.9", never binary noise.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise OfferImportError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise OfferImportError(f"{where}: {value!r} is not a number we can use")
    return number


def _price(value: Any, where: str) -> Decimal | None:
    """A price in yuan, to the fen; None when absent or zero (1688 sends 0 for "no price")."""
    number = _number(value, where)
    if number is None or number == 0:
        return None
    return max(number.quantize(CENT, rounding=ROUND_HALF_UP), CENT)


def _measure(value: Any, where: str, places: Decimal) -> Decimal | None:
    number = _number(value, where)
    if number is None or number == 0:
        return None
    return max(number.quantize(places, rounding=ROUND_HALF_UP), places)


def _int(value: Any, where: str, *, minimum: int = 0, default: int | None = None) -> int:
    if value is None or value == "":
        if default is not None:
            return default
        raise OfferImportError(f"{where} is missing")
    number = _number(value, where)
    if number is None or number != number.to_integral_value():
        raise OfferImportError(f"{where}: {value!r} is not a whole number")
    if number < minimum:
        raise OfferImportError(f"{where}: {int(number)} is below {minimum}")
    return int(number)


def _optional_int(record: dict, key: str, where: str) -> int | None:
    """A count of at least 1; None when the key is absent, 1 when it is null (1688 sends
    `batchNumber: null` for "no multiple")."""
    if key not in record:
        return None
    return _int(record[key], where, minimum=1, default=1)


def _image_url(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if text.startswith("//"):
        return "https:" + text
    if text.startswith(("http://", "https://")):
        return text[:1000]
    return (IMAGE_HOST + text.lstrip("/"))[:1000]


def _description(value: Any) -> str:
    text = str(value or "").strip()
    if re.fullmatch(r"https?://\S*", text):
        return ""  # a link, not a description (assumption 5)
    return sanitize_html(text)[:100_000]


def _ship_from(text: str) -> tuple[str, str]:
    """(province, city) of an address such as "广东省广州市" or "浙江 义乌"."""
    rest = text.replace(" ", "").removeprefix("中国")
    for name in sorted(PROVINCES, key=len, reverse=True):
        if rest.startswith(name):
            rest = _PROVINCE_SUFFIX.sub("", rest[len(name) :], count=1)
            city = _CITY.match(rest)
            return PROVINCES[name], (city.group(1) if city else rest)[:100]
    return Province.OTHER, ""


def _language(language: str | None) -> str:
    return (language or "").strip().lower()[:16]

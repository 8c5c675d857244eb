"""1688 open-platform offer responses turned into the portal's import record. Pure: no I/O.

`parse_offer(response, language=...)` takes a response exactly as the open platform sends it,
from either API, and returns an `OfferRecord`; `catalog.services.offer_import` writes it. The
client that fetches responses (issue 15, item 1) feeds this function; `import_offers` feeds it
one response per line.

Where each mapping comes from
-----------------------------
`product.search.queryProductDetail` (cross-border "多语言商详",
open.1688.com/api/apidocdetail.htm?id=com.alibaba.fenxiao.crossborder:product.search.queryProductDetail-1,
its field tables and 出参示例; checked against captured responses published in public projects):

- envelope `{"result": {"success", "code", "message", "result": ProductDetailModel}}`;
  `success: false` is a refusal, reported with its code and message.
- `offerId` (Long) -> the offer id; `subject` -> Chinese title; `subjectTrans` -> the title in
  the request's `country` language (en, ko, ja, ...: the response does not say which, so the
  caller passes `language`); `description` / `descriptionTrans` -> HTML, sanitized here.
- `productImage.images[]` -> image URLs (absolute). `productAttribute[]` {attributeId,
  attributeName, value, attributeNameTrans, valueTrans} -> specifications, repeated names kept.
- `productSkuInfos[]` {skuId (Long), specId (String), price (String, may be null),
  consignPrice, promotionPrice, amountOnSale, cargoNumber, skuAttributes[] {attributeId,
  attributeName, attributeNameTrans, value, valueTrans, skuImageUrl}} -> SKUs.
- `productSaleInfo` {priceRangeList[] {startQuantity, price, promotionPrice}, quoteType,
  consignPrice, amountOnSale, unitInfo {unit, transUnit}} -> tiers, unit.
- `productShippingInfo` {sendGoodsAddressText, weight (kg), length/width/height (cm),
  skuShippingDetails[] {skuId (String), weight (kg), length/width/height (cm)},
  skuShippingInfoList[] (deprecated; weight in grams)} -> ship-from, weights and sizes.
- `minOrderQuantity` -> MOQ; `batchNumber` (may be null) -> order multiple; `sellerOpenId` ->
  the supplier's key; `companyName` -> its Chinese name; `status` -> status on 1688.

`alibaba.product.get` (com.alibaba.product:alibaba.product.get-1, its 出参示例 and the classes of
1688's published SDK, com.alibaba.product.param.AlibabaProductProductInfo and friends):

- `{"productInfo": {...}, ...}`; `productID` (Long), `subject`, `description`, `status`,
  `attributes[]` {attributeID, attributeName, value, isCustom} (Chinese only: no translations).
- `image.images[]`: paths relative to 1688's image host ("img/ibank/...").
- `skuInfos[]` {attributes[] {attributeID, attributeValue, skuImageUrl}, price (Double),
  consignPrice (Double), retailPrice, priceRange[], amountOnSale, cargoNumber, skuCode, skuId,
  specId}. SKU attributes carry no name; see the assumptions below.
- `saleInfo` {priceRanges[] {startQuantity, price (Double)}, unit, minOrderQuantity,
  batchNumber, amountOnSale, quoteType, consignPrice}; `shippingInfo` {unitWeight (kg), length,
  width, height (cm), sendGoodsAddressText}; `supplierUserId`, `supplierLoginId`.

Assumptions (the one place they are listed)
-------------------------------------------
1. The language of `subjectTrans`, `attributeNameTrans`, `valueTrans` and `descriptionTrans` is
   the `country` of the request; the caller says which (`language`), default "en".
2. A SKU's `price: null` means the SKU has no price of its own: it sells at the offer's
   quantity breaks (`priceRangeList`), and `consignPrice` (the one-piece dropshipping price) is
   kept beside it. Only when the offer has no price break at all does `consignPrice` become the
   SKU's price (or, with no SKUs, one break at the MOQ), so an offer priced for dropshipping
   alone is still importable.
3. `alibaba.product.get` names SKU attributes only by `attributeID`: the name is taken from
   `attributeDisplayName` / `attributeName` when the SDK's newer fields are present, else from
   the offer's `attributes[]` with the same id, else from 1688's well-known ids (3216 颜色,
   450 尺码, seen with those names in queryProductDetail responses), else "属性<id>".
4. Relative image paths of `alibaba.product.get` live on https://cbu01.alicdn.com/ (the host
   every absolute image URL of queryProductDetail uses).
5. `descriptionTrans` is kept only when it is HTML or text; the doc's example is a bare URL,
   which is not a description.
6. `sellerOpenId` (queryProductDetail) and `supplierUserId`/`supplierLoginId`
   (alibaba.product.get) are different ids for one seller; a supplier imported through both
   APIs appears twice until staff merge it. With no `companyName`, the supplier is named by
   its id until staff rename it.
7. The product's weight is `productShippingInfo.weight`; when it is absent, the heaviest SKU's
   weight, so freight estimates err on the safe side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from catalog.adapters.html import sanitize_html
from catalog.adapters.open1688 import Client, Config
from catalog.exceptions import OfferImportError
from catalog.models import Province
from catalog.units import portal_unit

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


# --- the two APIs -----------------------------------------------------------------------------


def parse_offer(response: Any, *, language: str | None = "en") -> OfferRecord:
    """The import record of one response of `product.search.queryProductDetail` or
    `alibaba.product.get`, as the platform sent it. OfferImportError names the field."""
    if not isinstance(response, dict):
        raise OfferImportError("the response is not a JSON object")
    _refusal(response, "")
    if "productInfo" in response:
        return _product_get(response, _object(response["productInfo"], "productInfo"))
    if isinstance(response.get("result"), dict):
        model, path = response["result"], "result"
        _refusal(model, path)
        if "result" not in model and "offerId" in model:  # already unwrapped once
            return _query_product_detail(response, model, path, _language(language))
        detail = model.get("result")
        if detail is None:
            raise OfferImportError(f"{path}.result is missing: the response carries no offer")
        return _query_product_detail(
            response, _object(detail, f"{path}.result"), f"{path}.result", _language(language)
        )
    if "offerId" in response:  # a ProductDetailModel a client has already unwrapped
        return _query_product_detail(response, response, "", _language(language))
    raise OfferImportError(
        "not a response of product.search.queryProductDetail (no result) "
        "or of alibaba.product.get (no productInfo)"
    )


def offer_id_of(response: Any) -> str:
    """The offer id a response is about, best effort, for error reports ("?" when unknown)."""
    if not isinstance(response, dict):
        return "?"
    for node in (
        response.get("productInfo"),
        (response.get("result") or {}).get("result")
        if isinstance(response.get("result"), dict)
        else None,
        response.get("result"),
        response,
    ):
        if isinstance(node, dict):
            for key in ("offerId", "productID"):
                if node.get(key) not in (None, ""):
                    return str(node[key])
    return "?"


def _refusal(node: dict, path: str) -> None:
    """Raise when the platform said no: `success: false` with code and message (both APIs), or
    the gateway's `error_code` / `error_message`."""
    where = f"{path}." if path else ""
    if node.get("success") in (False, "false"):
        code = node.get("code") or node.get("errorCode") or "?"
        message = node.get("message") or node.get("errorMsg") or node.get("errMsg") or ""
        raise OfferImportError(f"{where}success is false: 1688 refused ({code}) {message}".strip())
    if node.get("error_code") or node.get("errorCode"):
        code = node.get("error_code") or node.get("errorCode")
        message = node.get("error_message") or node.get("errorMessage") or ""
        raise OfferImportError(f"{where}error_code: 1688 refused ({code}) {message}".strip())


def _attribute(item: Any, path: str, *, value_key: str = "value") -> OfferAttribute:
    item = _object(item, path)
    attribute_id = str(item.get("attributeId", item.get("attributeID")) or "").strip()
    return OfferAttribute(
        attribute_id=attribute_id[:32],
        name=_text(item, "attributeName", path, limit=120)
        or KNOWN_SKU_ATTRIBUTES.get(attribute_id, ""),
        value=_text(item, value_key, path, required=True, limit=200),
        name_trans=_text(item, "attributeNameTrans", path, limit=120),
        value_trans=_text(item, "valueTrans", path, limit=200),
        image_url=_image_url(item.get("skuImageUrl")),
    )


def _tiers(ranges: list, path: str) -> dict[int, OfferTier]:
    tiers: dict[int, OfferTier] = {}
    for i, item in enumerate(ranges):
        where = f"{path}[{i}]"
        item = _object(item, where)
        start = _int(item.get("startQuantity"), f"{where}.startQuantity", minimum=1)
        price = _price(item.get("price"), f"{where}.price")
        if price is None:
            raise OfferImportError(f"{where}.price is missing")
        promotion = _price(item.get("promotionPrice"), f"{where}.promotionPrice")
        tiers[start] = OfferTier(start, price, promotion)
    return tiers


def _no_price(path: str) -> OfferImportError:
    return OfferImportError(f"no price: {path} is empty and no SKU has a price or a consignPrice")


def _query_product_detail(response: dict, detail: dict, path: str, language: str) -> OfferRecord:
    p = f"{path}." if path else ""
    where = path or "offer"
    offer_id = _id(detail, "offerId", where)
    sale = _object(detail.get("productSaleInfo"), f"{p}productSaleInfo", required=False)
    shipping = _object(detail.get("productShippingInfo"), f"{p}productShippingInfo", required=False)
    unit_info = _object(sale.get("unitInfo"), f"{p}productSaleInfo.unitInfo", required=False)
    images_node = _object(detail.get("productImage"), f"{p}productImage", required=False)

    moq = _optional_int(detail, "minOrderQuantity", f"{p}minOrderQuantity")
    tiers = _tiers(
        _items(sale.get("priceRangeList"), f"{p}productSaleInfo.priceRangeList"),
        f"{p}productSaleInfo.priceRangeList",
    )

    sizes: dict[str, dict] = {}
    legacy = _items(
        shipping.get("skuShippingInfoList"), f"{p}productShippingInfo.skuShippingInfoList"
    )
    for i, item in enumerate(legacy):
        item = _object(item, f"{p}productShippingInfo.skuShippingInfoList[{i}]")
        grams = _number(item.get("weight"), f"{p}productShippingInfo.skuShippingInfoList[{i}]")
        sizes[str(item.get("skuId") or "")] = {**item, "weight": grams / 1000 if grams else None}
    details = _items(
        shipping.get("skuShippingDetails"), f"{p}productShippingInfo.skuShippingDetails"
    )
    for i, item in enumerate(details):
        item = _object(item, f"{p}productShippingInfo.skuShippingDetails[{i}]")
        sizes[str(item.get("skuId") or "")] = item

    skus = []
    for i, item in enumerate(_items(detail.get("productSkuInfos"), f"{p}productSkuInfos")):
        where_sku = f"{p}productSkuInfos[{i}]"
        item = _object(item, where_sku)
        sku_id = _id(item, "skuId", where_sku)
        size = sizes.get(sku_id, {})
        size_path = f"{p}productShippingInfo.skuShippingDetails[skuId={sku_id}]"
        attributes = tuple(
            _attribute(a, f"{where_sku}.skuAttributes[{j}]")
            for j, a in enumerate(_items(item.get("skuAttributes"), f"{where_sku}.skuAttributes"))
        )
        skus.append(
            OfferSku(
                sku_id=sku_id,
                spec_id=_text(item, "specId", where_sku, limit=64),
                attributes=attributes,
                price_cny=_price(item.get("price"), f"{where_sku}.price"),
                consign_price_cny=_price(item.get("consignPrice"), f"{where_sku}.consignPrice"),
                promotion_price_cny=_price(
                    item.get("promotionPrice"), f"{where_sku}.promotionPrice"
                ),
                stock=_int(item.get("amountOnSale"), f"{where_sku}.amountOnSale", default=0),
                weight_kg=_measure(size.get("weight"), f"{size_path}.weight", GRAM),
                length_cm=_measure(size.get("length"), f"{size_path}.length", MILLIMETRE),
                width_cm=_measure(size.get("width"), f"{size_path}.width", MILLIMETRE),
                height_cm=_measure(size.get("height"), f"{size_path}.height", MILLIMETRE),
                image_url=next((a.image_url for a in attributes if a.image_url), ""),
                cargo_number=_text(item, "cargoNumber", where_sku, limit=64),
            )
        )

    consign = _price(sale.get("consignPrice"), f"{p}productSaleInfo.consignPrice")
    skus, tiers = _price_fallbacks(skus, tiers, moq, consign, f"{p}productSaleInfo.priceRangeList")

    ship_from = _text(shipping, "sendGoodsAddressText", f"{p}productShippingInfo", limit=100)
    province, city = _ship_from(ship_from)
    seller_id = _text(detail, "sellerOpenId", where, required=True, limit=64)
    unit_word = _text(unit_info, "unit", f"{p}productSaleInfo.unitInfo", limit=16)
    unit_trans = _text(unit_info, "transUnit", f"{p}productSaleInfo.unitInfo", limit=32)
    product_weight = _measure(shipping.get("weight"), f"{p}productShippingInfo.weight", GRAM)
    return OfferRecord(
        api=API_QUERY_PRODUCT_DETAIL,
        offer_id=offer_id,
        language=language if language != "zh" else "",
        title_zh=_text(detail, "subject", where, required=True),
        title_trans=_text(detail, "subjectTrans", where),
        description_zh=_description(detail.get("description")),
        description_trans=_description(detail.get("descriptionTrans")),
        source_url=f"https://detail.1688.com/offer/{offer_id}.html",
        unit=_unit(unit_word, unit_trans),
        unit_source=unit_word,
        unit_source_trans=unit_trans,
        moq=moq,
        order_multiple=_optional_int(detail, "batchNumber", f"{p}batchNumber"),
        tiers=tuple(sorted(tiers.values(), key=lambda t: t.min_quantity)),
        skus=tuple(skus),
        seller=OfferSeller(
            member_id=seller_id,
            name_zh=_text(detail, "companyName", where, limit=200) or seller_id,
            province=province,
            city=city,
        ),
        attributes=tuple(
            _attribute(a, f"{p}productAttribute[{j}]")
            for j, a in enumerate(_items(detail.get("productAttribute"), f"{p}productAttribute"))
        ),
        images=_unique(
            _image_url(u) for u in _items(images_node.get("images"), f"{p}productImage.images")
        ),
        ship_from=ship_from,
        weight_kg=product_weight or max((s.weight_kg for s in skus if s.weight_kg), default=None),
        length_cm=_measure(shipping.get("length"), f"{p}productShippingInfo.length", MILLIMETRE),
        width_cm=_measure(shipping.get("width"), f"{p}productShippingInfo.width", MILLIMETRE),
        height_cm=_measure(shipping.get("height"), f"{p}productShippingInfo.height", MILLIMETRE),
        consign_price_cny=consign,
        status=_text(detail, "status", where, limit=32),
        has_tiers="priceRangeList" in sale,
        has_skus="productSkuInfos" in detail,
        payload=response,
    )


def _product_get(response: dict, info: dict) -> OfferRecord:
    path = "productInfo"
    offer_id = _id(info, "productID", path)
    sale = _object(info.get("saleInfo"), f"{path}.saleInfo", required=False)
    shipping = _object(info.get("shippingInfo"), f"{path}.shippingInfo", required=False)
    image = _object(info.get("image"), f"{path}.image", required=False)
    attributes = tuple(
        _attribute(a, f"{path}.attributes[{j}]")
        for j, a in enumerate(_items(info.get("attributes"), f"{path}.attributes"))
    )
    names = {a.attribute_id: a.name for a in attributes if a.attribute_id and a.name}

    moq = _optional_int(sale, "minOrderQuantity", f"{path}.saleInfo.minOrderQuantity")
    tiers = _tiers(
        _items(sale.get("priceRanges"), f"{path}.saleInfo.priceRanges"),
        f"{path}.saleInfo.priceRanges",
    )
    skus = []
    for i, item in enumerate(_items(info.get("skuInfos"), f"{path}.skuInfos")):
        where = f"{path}.skuInfos[{i}]"
        item = _object(item, where)
        sku_attributes = []
        for j, raw in enumerate(_items(item.get("attributes"), f"{where}.attributes")):
            raw = _object(raw, f"{where}.attributes[{j}]")
            attribute_id = str(raw.get("attributeID") or "").strip()
            name = (
                str(raw.get("attributeDisplayName") or raw.get("attributeName") or "").strip()
                or names.get(attribute_id)
                or KNOWN_SKU_ATTRIBUTES.get(attribute_id)
                or f"属性{attribute_id}"
            )
            sku_attributes.append(
                _attribute(
                    {**raw, "attributeName": name},
                    f"{where}.attributes[{j}]",
                    value_key="attributeValue",
                )
            )
        own_ranges = _items(item.get("priceRange"), f"{where}.priceRange")
        price = _price(item.get("price"), f"{where}.price")
        if price is None and own_ranges:
            price = min(t.price_cny for t in _tiers(own_ranges, f"{where}.priceRange").values())
        skus.append(
            OfferSku(
                sku_id=_id(item, "skuId", where),
                spec_id=_text(item, "specId", where, limit=64),
                attributes=tuple(sku_attributes),
                price_cny=price,
                consign_price_cny=_price(item.get("consignPrice"), f"{where}.consignPrice"),
                stock=_int(item.get("amountOnSale"), f"{where}.amountOnSale", default=0),
                image_url=next((a.image_url for a in sku_attributes if a.image_url), ""),
                cargo_number=_text(item, "cargoNumber", where, limit=64),
            )
        )
    consign = _price(sale.get("consignPrice"), f"{path}.saleInfo.consignPrice")
    skus, tiers = _price_fallbacks(skus, tiers, moq, consign, f"{path}.saleInfo.priceRanges")

    ship_from = _text(shipping, "sendGoodsAddressText", f"{path}.shippingInfo", limit=100)
    province, city = _ship_from(ship_from)
    seller_id = _text(info, "supplierUserId", path, limit=64) or _text(
        info, "supplierLoginId", path, limit=64
    )
    if not seller_id:
        raise OfferImportError(f"{path}.supplierUserId is missing (and supplierLoginId too)")
    unit_word = _text(sale, "unit", f"{path}.saleInfo", limit=16)
    return OfferRecord(
        api=API_PRODUCT_GET,
        offer_id=offer_id,
        language="",  # alibaba.product.get answers in Chinese only
        title_zh=_text(info, "subject", path, required=True),
        title_trans="",
        description_zh=_description(info.get("description")),
        description_trans="",
        source_url=f"https://detail.1688.com/offer/{offer_id}.html",
        unit=_unit(unit_word, ""),
        unit_source=unit_word,
        unit_source_trans="",
        moq=moq,
        order_multiple=_optional_int(sale, "batchNumber", f"{path}.saleInfo.batchNumber"),
        tiers=tuple(sorted(tiers.values(), key=lambda t: t.min_quantity)),
        skus=tuple(skus),
        seller=OfferSeller(
            member_id=seller_id,
            name_zh=_text(info, "supplierLoginId", path, limit=200) or seller_id,
            province=province,
            city=city,
        ),
        attributes=attributes,
        images=_unique(_image_url(u) for u in _items(image.get("images"), f"{path}.image.images")),
        ship_from=ship_from,
        weight_kg=_measure(shipping.get("unitWeight"), f"{path}.shippingInfo.unitWeight", GRAM),
        length_cm=_measure(shipping.get("length"), f"{path}.shippingInfo.length", MILLIMETRE),
        width_cm=_measure(shipping.get("width"), f"{path}.shippingInfo.width", MILLIMETRE),
        height_cm=_measure(shipping.get("height"), f"{path}.shippingInfo.height", MILLIMETRE),
        consign_price_cny=consign,
        status=_text(info, "status", path, limit=32),
        has_tiers="priceRanges" in sale,
        has_skus="skuInfos" in info,
        payload=response,
    )


def _price_fallbacks(
    skus: list[OfferSku],
    tiers: dict[int, OfferTier],
    moq: int | None,
    consign: Decimal | None,
    tiers_path: str,
) -> tuple[list[OfferSku], dict[int, OfferTier]]:
    """Assumption 2: consignPrice prices the offer only where nothing else does."""
    if tiers or any(s.price_cny for s in skus):
        return skus, tiers
    if skus and all(s.consign_price_cny for s in skus):
        return [_with_price(s, s.consign_price_cny) for s in skus], tiers
    if consign is not None:
        start = moq or 1
        return skus, {start: OfferTier(start, consign)}
    raise _no_price(tiers_path)


def _with_price(sku: OfferSku, price: Decimal | None) -> OfferSku:
    return replace(sku, price_cny=price)


def _unit(word: str, trans: str) -> str:
    unit = portal_unit(word)
    return unit if unit != "other" or not trans else portal_unit(trans)


def _unique(urls) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for url in urls:
        if url:
            seen.setdefault(url, None)
    return tuple(seen)


# --- fetching (issue 15, item 1) --------------------------------------------------------------


def fetch_offer_detail(*, offer_id: str, country: str = "en", client: Client | None = None) -> dict:
    """The `product.search.queryProductDetail` response for one offer, through the signed
    open-platform client (`catalog.adapters.open1688`): its DomainErrors say when the platform
    is not configured, refuses or does not answer. The request is the documented one:
    `offerDetailParam` = {"offerId", "country"} (the translation language)."""
    client = client or Client(config=Config.from_settings())
    return client.call(
        QUERY_PRODUCT_DETAIL_NAMESPACE,
        "product.search.queryProductDetail",
        {"offerDetailParam": {"offerId": offer_id, "country": country}},
    )

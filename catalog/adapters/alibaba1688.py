"""1688 open-platform offer responses turned into the portal's import record. Pure: no I/O.

`parse_offer(response, language=...)` takes a response exactly as the open platform sends it,
from either API, and returns an `OfferRecord`; `catalog.services.offer_import` writes it. The
client that fetches responses feeds this function; `import_offers` feeds it
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

from dataclasses import replace
from decimal import Decimal
from typing import Any

from catalog.adapters.offer_record import (
    API_PRODUCT_GET,
    API_QUERY_PRODUCT_DETAIL,
    GRAM,
    KNOWN_SKU_ATTRIBUTES,
    MILLIMETRE,
    QUERY_PRODUCT_DETAIL_NAMESPACE,
    OfferAttribute,
    OfferRecord,
    OfferSeller,
    OfferSku,
    OfferTier,
    _description,
    _id,
    _image_url,
    _int,
    _items,
    _language,
    _measure,
    _number,
    _object,
    _optional_int,
    _price,
    _ship_from,
    _text,
)
from catalog.adapters.open1688 import Client, platform_client
from catalog.exceptions import OfferImportError
from catalog.units import portal_unit

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


def offer_category(response: Any) -> tuple[str, str]:
    """(1688 category id, its Chinese name) of a response, each "" when not given: used to set
    the product's hazards on import (`catalog.hazards`). queryProductDetail gives
    `categoryId` / `categoryName` (the name may be null); alibaba.product.get gives
    `productInfo.categoryID` and `categoryName` at the top."""
    if not isinstance(response, dict):
        return "", ""
    nodes = [response, response.get("productInfo")]
    result = response.get("result")
    if isinstance(result, dict):
        nodes += [result, result.get("result")]
    category_id = name = ""
    for node in nodes:
        if not isinstance(node, dict):
            continue
        value = node.get("categoryId", node.get("categoryID"))
        category_id = category_id or ("" if value is None else str(value))
        name = name or str(node.get("categoryName") or "")
    return category_id, name


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


# --- fetching --------------------------------------------------------------


def fetch_offer_detail(*, offer_id: str, country: str = "en", client: Client | None = None) -> dict:
    """The `product.search.queryProductDetail` response for one offer, through the signed
    open-platform client (`catalog.adapters.open1688`): its DomainErrors say when the platform
    is not configured, refuses or does not answer. The request is the documented one:
    `offerDetailParam` = {"offerId", "country"} (the translation language)."""
    client = client or platform_client()
    return client.call(
        QUERY_PRODUCT_DETAIL_NAMESPACE,
        "product.search.queryProductDetail",
        {"offerDetailParam": {"offerId": offer_id, "country": country}},
    )

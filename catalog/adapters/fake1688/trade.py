"""The fake 1688's trade and logistics answers, in the shapes `orders.adapters.trade1688` lists
with their sources. Each handler takes the platform (`gateway.FakeGateway`), the form fields
received and a refusal code it was told to answer with ("" for none)."""

from __future__ import annotations

import json
from typing import Any


def _priced(platform, fields: dict[str, str]) -> tuple[list[dict[str, Any]], str, str]:
    """Cargo lines with their amounts in fen, or a refusal (code, message)."""
    try:
        cargo = json.loads(fields["cargoParamList"])
        json.loads(fields["addressParam"])
    except (KeyError, ValueError):
        return [], "400", "cargoParamList and addressParam are required JSON"
    lines = []
    for item in cargo:
        offer_id, spec_id = str(item.get("offerId")), str(item.get("specId", ""))
        quantity = int(item.get("quantity", 0))
        offer = platform.offer_of(offer_id, spec_id)
        if quantity > offer.stock:
            # 1688's own wording, fullwidth comma included.
            return [], "500_004", f"商品[{offer_id}_{spec_id}]库存不足，请核实库存后订购。"  # noqa: RUF001
        if quantity < offer.moq:
            return [], "500_005", f"商品[{offer_id}]的购买数量不满足起批量限制。"
        lines.append(
            {
                "offerId": int(offer_id),
                "specId": spec_id,
                "quantity": quantity,
                "finalUnitPrice": float(offer.price_cny),
                "amount": float(offer.price_cny * quantity),
                "fen": int(offer.price_cny * quantity * 100),
            }
        )
    return lines, "", ""


def _preview(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    lines, code, message = _priced(platform, fields)
    if refuse:
        code, message = refuse, f"fake refusal {refuse}"
    if code:
        return {"success": False, "errorCode": code, "errorMsg": message}
    goods = sum(line.pop("fen") for line in lines)
    for line in lines:
        line.pop("quantity")
    freight = int(platform.freight_cny * 100)
    return {
        "success": True,
        "orderPreviewResuslt": [
            {
                "status": True,
                "flowFlag": "general",
                "tradeModeNameList": ["assureTrade"],
                "sumPayment": goods + freight,
                "sumCarriage": freight,
                "sumPaymentNoCarriage": goods,
                "cargoList": lines,
                "shopPromotionList": [],
            }
        ],
    }


def _create(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    out_order_id, feedback = fields.get("outOrderId", ""), fields.get("message", "")
    lines, code, message = _priced(platform, fields)
    if refuse:
        code, message = refuse, f"fake refusal {refuse}"
    if code:
        return {"success": False, "code": code, "message": message}
    settings = platform._settings()
    freight = int(settings["freight_cny"] * 100)
    if settings["partial"] and len(lines) > 1:
        first, rest = lines[0], lines[1:]
        order = platform.new_order(out_order_id, [first], first["fen"], freight, feedback)
        answer = {
            "success": True,
            "result": {
                "success": True,
                "orderId": order.order_id,
                "totalSuccessAmount": order.goods_fen + freight,
                "postFee": freight,
                "failedOfferList": [
                    {
                        "offerId": str(line["offerId"]),
                        "specId": line["specId"],
                        "errorCode": "500_004",
                        "errorMessage": "库存不足",
                    }
                    for line in rest
                ],
            },
        }
    elif settings["split_orders"] and len(lines) > 1:
        orders = [
            platform.new_order(out_order_id, [line], line["fen"], freight, feedback)
            for line in lines
        ]
        answer = {
            "success": True,
            "result": {
                "success": True,
                "orderList": [
                    {
                        "orderId": o.order_id,
                        "postFee": o.freight_fen,
                        "orderAmmount": o.goods_fen + o.freight_fen,
                        "sumPaymentNoCarriageFromClient": o.goods_fen,
                        "discount": 0,
                        "mergePay": False,
                        "chooseFreeFreight": False,
                    }
                    for o in orders
                ],
            },
        }
    else:
        goods = sum(line["fen"] for line in lines)
        order = platform.new_order(out_order_id, lines, goods, freight, feedback)
        answer = {
            "success": True,
            "result": {
                "success": True,
                "orderId": order.order_id,
                "totalSuccessAmount": goods + freight,
                "postFee": freight,
            },
        }
    return answer


def _known(platform, order_id: str):
    from catalog.adapters.fake1688.models import FakeRecord

    row = FakeRecord.objects.filter(kind=FakeRecord.Kind.ORDER, key=str(order_id)).first()
    return platform.order(order_id) if row is not None else None


def _base_info(order) -> dict[str, Any]:
    """buyerView's and getBuyerOrderList's ``baseInfo`` of one order (amounts in yuan)."""
    return {
        "id": int(order.order_id),
        "idOfStr": order.order_id,
        "status": order.trade_status,
        "refundStatus": order.refund_status,
        "outOrderId": order.out_order_id,
        "buyerFeedback": order.buyer_feedback,
        "createTime": order.created,
        "totalAmount": (order.goods_fen + order.freight_fen) / 100,
        "shippingFee": order.freight_fen / 100,
        "sumProductPayment": order.goods_fen / 100,
    }


def _buyer_order_list(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    """alibaba.trade.getBuyerOrderList: the buyer's orders created in the window, newest first,
    a page at a time; ``outOrderId`` narrows them to one outside order id."""
    start, end = fields.get("createStartTime", ""), fields.get("createEndTime", "")
    try:
        page, size = int(fields.get("page", 1)), int(fields.get("pageSize", 20))
    except ValueError:
        page = size = 0
    if page < 1 or not 1 <= size <= 50:
        return {"errorCode": "400", "errorMessage": "page and pageSize are invalid"}
    wanted = fields.get("outOrderId", "")
    orders = [
        o
        for o in reversed(list(platform.orders.values()))
        if (not start or o.created >= start)
        and (not end or o.created <= end)
        and (not wanted or o.out_order_id == wanted)
    ]
    chunk = orders[(page - 1) * size : page * size]
    return {
        "result": [
            {
                "baseInfo": _base_info(o),
                "productItems": [
                    {"productID": line["offerId"], "specId": line["specId"]} for line in o.cargo
                ],
            }
            for o in chunk
        ],
        "totalRecord": len(orders),
    }


def _buyer_view(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    order = _known(platform, fields.get("orderId", ""))
    if order is None or fields.get("webSite") != "1688":
        return {"success": "false", "errorCode": "400", "errorMessage": "order not found"}
    return {
        "success": "true",
        "result": {
            "baseInfo": _base_info(order),
            "nativeLogistics": {
                "logisticsItems": [
                    {
                        "logisticsCompanyName": parcel["logisticsCompanyName"],
                        "logisticsBillNo": parcel["logisticsBillNo"],
                        "logisticsCode": parcel["logisticsId"],
                    }
                    for parcel in order.logistics
                ]
            },
            "productItems": [
                {"productID": line["offerId"], "specId": line["specId"]} for line in order.cargo
            ],
        },
    }


def _cancel(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    """alibaba.trade.cancel: a buyer cancels only an order it has not paid yet."""
    order = _known(platform, fields.get("tradeID", ""))
    if order is None or fields.get("webSite") != "1688":
        return {"success": False, "errorCode": "400", "errorMessage": "订单不存在"}
    if refuse:
        return {"success": False, "errorCode": refuse, "errorMessage": f"fake refusal {refuse}"}
    if order.trade_status == "cancel":
        return {"success": True}
    if order.trade_status != "waitbuyerpay":
        return {
            "success": False,
            "errorCode": "TRADE_STATUS_ERROR",
            "errorMessage": "当前订单状态不允许取消",
        }
    order.trade_status = "cancel"
    platform.save_order(order)
    return {"success": True}


def _logistics_infos(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    order = _known(platform, fields.get("orderId", ""))
    if order is None or fields.get("webSite") != "1688":
        return {"success": False, "errorCode": "400", "errorMessage": "order not found"}
    return {
        "success": True,
        "result": [
            {
                "logisticsId": parcel["logisticsId"],
                "logisticsBillNo": parcel["logisticsBillNo"],
                "orderEntryIds": order.order_id,
                "status": parcel["status"],
                "logisticsCompanyId": parcel["logisticsCompanyId"],
                "logisticsCompanyName": parcel["logisticsCompanyName"],
                "remarks": "",
            }
            for parcel in order.logistics
        ],
    }


def _logistics_trace(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    order = _known(platform, fields.get("orderId", ""))
    if order is None or fields.get("webSite") != "1688":
        return {"success": False, "errorCode": "400", "errorMessage": "order not found"}
    wanted = fields.get("logisticsId", "")
    return {
        "success": True,
        "logisticsTrace": [
            {
                "logisticsId": parcel["logisticsId"],
                "orderId": int(order.order_id),
                "logisticsBillNo": parcel["logisticsBillNo"],
                "logisticsSteps": parcel["steps"],
            }
            for parcel in order.logistics
            if not wanted or parcel["logisticsId"] == wanted
        ],
    }


HANDLERS = {
    "alibaba.createOrder.preview": _preview,
    "alibaba.trade.createCrossOrder": _create,
    "alibaba.trade.get.buyerView": _buyer_view,
    "alibaba.trade.getBuyerOrderList": _buyer_order_list,
    "alibaba.trade.cancel": _cancel,
    "alibaba.trade.getLogisticsInfos.buyerView": _logistics_infos,
    "alibaba.trade.getLogisticsTraceInfo.buyerView": _logistics_trace,
}

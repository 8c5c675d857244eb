"""1688 trade calls: preview and place a cross-border order, on the signed client of
`catalog.adapters.open1688`.

Shapes, from the open.1688.com API pages (mirrored as markdown in public SDK repositories):

* ``alibaba.createOrder.preview`` (com.alibaba.trade, v1): parameters ``addressParam``,
  ``cargoParamList`` (``offerId``, ``specId``, ``quantity``), ``flow``, ``outOrderId``; answer
  ``{"success": true, "orderPreviewResuslt": [{"sumPayment", "sumCarriage",
  "sumPaymentNoCarriage", "status", "flowFlag", "tradeModeNameList", "cargoList": [{"offerId",
  "specId", "skuId", "amount", "finalUnitPrice"}]}]}`` (sic: "Resuslt"), sums in fen, several
  entries when 1688 splits the order; a refusal ``{"success": false, "errorCode": "500_004",
  "errorMsg": …}`` with the codes 500_001 … 500_009 listed on that page.
* ``alibaba.trade.createCrossOrder`` (v1): the same cargo and address plus ``message`` and
  ``outOrderId``; at most 50 SKUs of one supplier (more: split it yourself); answer
  ``{"success": true, "result": {"success": true, "orderId", "totalSuccessAmount", "postFee",
  "failedOfferList": [{"offerId", "specId", "errorCode", "errorMessage"}], "orderList":
  [{"orderId", "orderAmmount", "postFee", …}]}}``: one order gives ``orderId`` /
  ``totalSuccessAmount`` / ``postFee`` (fen), several give ``orderList`` (``orderAmmount`` sic,
  fen, freight included); a refusal ``success: false`` with ``code`` / ``message``.

* ``alibaba.trade.get.buyerView`` (v1): ``webSite=1688``, ``orderId``, ``includeFields``; answer
  ``{"success": "true", "result": {"baseInfo": {"idOfStr", "status", "refundStatus",
  "outOrderId", "totalAmount", "shippingFee"}, "nativeLogistics": {"logisticsItems":
  [{"logisticsCompanyName", "logisticsBillNo", "deliveredTime"}]}}}``; ``status`` is one of
  waitbuyerpay, waitsellersend, waitbuyerreceive, confirm_goods, success, cancel, terminated;
  ``refundStatus`` refundsuccess once a refund went through; amounts in yuan.

* ``alibaba.trade.cancel`` (com.alibaba.trade, v1; the SDK classes ``AlibabaTradeCancelParam`` /
  ``AlibabaTradeCancelResult``): ``webSite=1688``, ``tradeID``, ``cancelReason`` (buyerCancel,
  sellerGoodsLack, other), ``remark``; answer ``{"success": true}`` or ``{"success": false,
  "errorCode", "errorMessage"}``. A buyer cancels only an order not paid yet.
* ``alibaba.trade.getLogisticsInfos.buyerView`` (com.alibaba.logistics, v1; SDK classes
  ``AlibabaTradeGetLogisticsInfosBuyerViewParam`` / ``…Result`` /
  ``AlibabaLogisticsOpenPlatformLogisticsOrder``): ``orderId``, ``webSite``, ``fields``; answer
  ``{"success": true, "result": [{"logisticsId", "logisticsBillNo", "logisticsCompanyId",
  "logisticsCompanyName", "status", "orderEntryIds", "remarks", …}]}``, ``status`` one of
  WAITACCEPT, CANCEL, ACCEPT, TRANSPORT, NOGET, SIGN, UNSIGN.
* ``alibaba.trade.getLogisticsTraceInfo.buyerView`` (com.alibaba.logistics, v1; SDK classes
  ``…TraceInfoBuyerViewParam`` / ``…Result`` / ``AlibabaLogisticsOpenPlatformLogisticsTrace`` /
  ``…LogisticsStep``): ``logisticsId``, ``orderId``, ``webSite``; answer ``{"success": true,
  "logisticsTrace": [{"logisticsId", "orderId", "logisticsBillNo", "logisticsSteps":
  [{"acceptTime", "remark"}]}]}``, steps oldest first.

More assumptions:

* ``totalSuccessAmount`` includes ``postFee``. ``AlibabaTradeCrossResult`` calls it "订单总金额
  (单位分), 一次创建多个订单时, 该字段为空" (the order's total, in fen; empty when several
  orders are made) without naming freight; buyerView's ``totalAmount`` is documented as
  "∑itemAmount + shippingFee", and ``orderAmmount`` in the split example includes ``postFee``,
  so an order total includes its freight.
* ``alibaba.trade.getBuyerOrderList`` (com.alibaba.trade, v1; SDK classes
  ``AlibabaTradeGetBuyerOrderListParam`` / ``…Result``): ``createStartTime``,
  ``createEndTime`` (``yyyyMMddHHmmssSSS+0800``, as "20180102211113000+0800"), ``page`` (from
  1), ``pageSize`` (the example says 20) and, in the newest SDK, ``outOrderId``; answer
  ``{"result": [{"baseInfo": {…}, "productItems": […]}], "totalRecord"}``, or
  ``errorCode`` / ``errorMessage``. ``baseInfo`` is buyerView's (``idOfStr``, ``status``,
  ``outOrderId``, ``totalAmount``, ``shippingFee``, ``buyerFeedback``: the buyer's message).

Assumptions, and what the published SDK classes say about them:

* 1688 is not assumed to refuse a second order for an ``outOrderId`` it has seen: the
  createCrossOrder parameter is documented only as "外部订单号" (outside order number), and no
  published class states a dedupe. After an unknown outcome the buyer's order list is searched
  for an order carrying the same ``outOrderId`` (or, where an entry has none, the same buyer
  message) before anything is placed again (`orders_placed_as`).
* An address given as text (province, city, area, street) needs no ``addressId`` (the
  parameter's own example has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from catalog.adapters.open1688 import (
    Client,
    MalformedResponse,
    Refused,
    error_fields,
    platform_time,
)

NAMESPACE = "com.alibaba.trade"
LOGISTICS_NAMESPACE = "com.alibaba.logistics"
CANCEL = "alibaba.trade.cancel"
LOGISTICS_INFOS = "alibaba.trade.getLogisticsInfos.buyerView"
LOGISTICS_TRACE = "alibaba.trade.getLogisticsTraceInfo.buyerView"
PREVIEW = "alibaba.createOrder.preview"
CREATE = "alibaba.trade.createCrossOrder"
BUYER_VIEW = "alibaba.trade.get.buyerView"
BUYER_ORDER_LIST = "alibaba.trade.getBuyerOrderList"
LIST_PAGE_SIZE = 20
# How far the order list is read (pages of LIST_PAGE_SIZE) before giving up on a verdict.
LIST_MAX_PAGES = 10
# buyerView's baseInfo.status values, grouped by what they mean for our purchase order.
PAID = frozenset({"waitsellersend"})
SHIPPED = frozenset({"waitbuyerreceive", "confirm_goods", "success"})
CLOSED = frozenset({"cancel", "terminated"})
MAX_SKUS_PER_ORDER = 50
FEN = Decimal("0.01")

# The refusals listed on alibaba.createOrder.preview's page, in the words staff read.
REFUSALS = {
    "500_001": _(
        "The supplier does not sell this offer online now (shop closed or offer off sale)."
    ),
    "500_002": _("An offer is of another supplier or has no spec id."),
    "500_003": _("A spec id does not belong to its offer: re-import the offer."),
    "500_004": _("Out of stock at the supplier for some SKU."),
    "500_005": _("Below the supplier's minimum order quantity."),
    "500_006": _("The quantities or the amount do not meet the supplier's mixed-batch terms."),
    "500_007": _("No consignment relation with this supplier."),
    "500_008": _("A SKU has a price of 0 on 1688 and cannot be ordered."),
    "500_009": _("Below the supplier's wholesale minimum quantity."),
}


@dataclass(frozen=True)
class Cargo:
    offer_id: str
    spec_id: str
    quantity: int

    def param(self) -> dict[str, Any]:
        item: dict[str, Any] = {"offerId": int(self.offer_id), "quantity": self.quantity}
        if self.spec_id:
            item["specId"] = self.spec_id
        return item


@dataclass(frozen=True)
class Receiver:
    full_name: str
    mobile: str
    phone: str
    post_code: str
    province: str
    city: str
    area: str
    address: str

    def param(self) -> dict[str, str]:
        return {
            "fullName": self.full_name,
            "mobile": self.mobile,
            "phone": self.phone,
            "postCode": self.post_code,
            "provinceText": self.province,
            "cityText": self.city,
            "areaText": self.area,
            "townText": "",
            "address": self.address,
        }


@dataclass(frozen=True)
class Preview:
    goods_cny: Decimal
    freight_cny: Decimal
    total_cny: Decimal
    orders: int
    trade_modes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "goods_cny": str(self.goods_cny),
            "freight_cny": str(self.freight_cny),
            "total_cny": str(self.total_cny),
            "orders": self.orders,
            "trade_modes": self.trade_modes,
        }


@dataclass(frozen=True)
class CreatedOrder:
    order_id: str
    total_cny: Decimal  # goods and freight
    freight_cny: Decimal


@dataclass(frozen=True)
class FailedOffer:
    offer_id: str
    spec_id: str
    code: str
    message: str


@dataclass(frozen=True)
class Created:
    orders: list[CreatedOrder]
    failed: list[FailedOffer] = field(default_factory=list)

    @property
    def total_cny(self) -> Decimal:
        return sum((o.total_cny for o in self.orders), Decimal("0.00"))

    @property
    def freight_cny(self) -> Decimal:
        return sum((o.freight_cny for o in self.orders), Decimal("0.00"))

    @property
    def goods_cny(self) -> Decimal:
        return self.total_cny - self.freight_cny


def refusal(code: str, message: str) -> Refused:
    text = REFUSALS.get(code)
    if text is None:
        text = _("1688 refused: %(message)s") % {"message": message or code}
    return Refused(text, platform_code=code)


def _fen(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise MalformedResponse(
            _("1688 sent an unreadable amount in %(where)s.") % {"where": where}
        ) from exc
    if amount < 0 or amount != amount.to_integral_value():
        raise MalformedResponse(
            _("1688 sent an unreadable amount in %(where)s.") % {"where": where}
        )
    return (amount * FEN).quantize(FEN)


def _ok(data: dict[str, Any]) -> bool:
    return data.get("success") in (True, "true")


class TradeClient:
    """Preview and place one purchase order's cargo on 1688."""

    def __init__(self, client: Client):
        self.client = client

    def _params(
        self, cargo: Sequence[Cargo], receiver: Receiver, out_order_id: str
    ) -> dict[str, Any]:
        if not cargo:
            raise Refused(_("Nothing to order."))
        if len(cargo) > MAX_SKUS_PER_ORDER:
            raise Refused(
                _("1688 takes at most %(n)s SKUs in one order: split the purchase order.")
                % {"n": MAX_SKUS_PER_ORDER}
            )
        return {
            "flow": "general",
            "addressParam": receiver.param(),
            "cargoParamList": [c.param() for c in cargo],
            "outOrderId": out_order_id,
        }

    def preview(self, *, cargo: Sequence[Cargo], receiver: Receiver, out_order_id: str) -> Preview:
        data = self.client.call(NAMESPACE, PREVIEW, self._params(cargo, receiver, out_order_id))
        if not _ok(data):
            raise refusal(*error_fields(data))
        results = data.get("orderPreviewResuslt")
        if not isinstance(results, list) or not results:
            raise MalformedResponse
        goods = freight = total = Decimal("0.00")
        modes: list[str] = []
        for i, item in enumerate(results):
            if not isinstance(item, dict):
                raise MalformedResponse
            if item.get("status") is False:
                raise refusal(str(item.get("resultCode") or ""), str(item.get("message") or ""))
            goods += _fen(item.get("sumPaymentNoCarriage"), f"orderPreviewResuslt[{i}]")
            freight += _fen(item.get("sumCarriage", 0), f"orderPreviewResuslt[{i}]")
            total += _fen(item.get("sumPayment"), f"orderPreviewResuslt[{i}]")
            modes += [str(m) for m in item.get("tradeModeNameList") or [] if str(m) not in modes]
        return Preview(goods, freight, total, len(results), modes)

    def create(
        self, *, cargo: Sequence[Cargo], receiver: Receiver, out_order_id: str, message: str = ""
    ) -> Created:
        params = self._params(cargo, receiver, out_order_id)
        if message:
            params["message"] = message
        # Not retried on a timeout or a system error by the client: whether 1688 created the
        # order is then unknown, and the caller says so before anyone places it again.
        data = self.client.call(NAMESPACE, CREATE, params, idempotent=False)
        # The page's own examples give the result both wrapped in "result" and flat, and show
        # an orderId beside "success": false: an order id, wherever it is, means an order.
        result = data.get("result") if isinstance(data.get("result"), dict) else data
        if not (result.get("orderId") or result.get("orderList")):
            if _ok(data) and _ok(result) and not result.get("failedOfferList"):
                raise MalformedResponse
            code, text = error_fields(data)
            if not code:
                code, text = error_fields(result)
            failures = result.get("failedOfferList")
            if not code and isinstance(failures, list) and failures:
                code, text = error_fields(failures[0])
            raise refusal(code, text)
        failed = [
            FailedOffer(
                str(f.get("offerId", "")),
                str(f.get("specId", "")),
                str(f.get("errorCode", "")),
                str(f.get("errorMessage", "")),
            )
            for f in result.get("failedOfferList") or []
            if isinstance(f, dict)
        ]
        if result.get("orderList"):
            orders = []
            for i, item in enumerate(result["orderList"]):
                if not isinstance(item, dict) or not item.get("orderId"):
                    raise MalformedResponse
                orders.append(
                    CreatedOrder(
                        str(item["orderId"]),
                        _fen(item.get("orderAmmount"), f"orderList[{i}].orderAmmount"),
                        _fen(item.get("postFee", 0), f"orderList[{i}].postFee"),
                    )
                )
            return Created(orders, failed)
        return Created(
            [
                CreatedOrder(
                    str(result["orderId"]),
                    _fen(result.get("totalSuccessAmount"), "result.totalSuccessAmount"),
                    _fen(result.get("postFee", 0), "result.postFee"),
                )
            ],
            failed,
        )


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class TradeView:
    order_id: str
    status: str
    refund_status: str
    shipments: list[Shipment]

    @property
    def refunded(self) -> bool:
        return self.refund_status == "refundsuccess"


def buyer_view(client: Client, order_id: str) -> TradeView:
    data = client.call(
        NAMESPACE,
        BUYER_VIEW,
        {"webSite": "1688", "orderId": order_id, "includeFields": "NativeLogistics"},
    )
    if not _ok(data):
        raise refusal(*error_fields(data))
    result = data.get("result")
    base = result.get("baseInfo") if isinstance(result, dict) else None
    if not isinstance(base, dict) or not base.get("status"):
        raise MalformedResponse
    logistics = result.get("nativeLogistics") or {}
    items = logistics.get("logisticsItems") or [] if isinstance(logistics, dict) else []
    shipments = [
        Shipment(str(i.get("logisticsCompanyName") or ""), str(i["logisticsBillNo"]))
        for i in items
        if isinstance(i, dict) and i.get("logisticsBillNo")
    ]
    return TradeView(
        order_id=str(base.get("idOfStr") or base.get("id") or order_id),
        status=str(base["status"]),
        refund_status=str(base.get("refundStatus") or ""),
        shipments=shipments,
    )


def _yuan(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(FEN)
    except (InvalidOperation, ValueError) as exc:
        raise MalformedResponse(
            _("1688 sent an unreadable amount in %(where)s.") % {"where": where}
        ) from exc
    if amount < 0:
        raise MalformedResponse(
            _("1688 sent an unreadable amount in %(where)s.") % {"where": where}
        )
    return amount


def orders_placed_as(
    client: Client, out_order_id: str, *, message: str, since: datetime, until: datetime
) -> list[CreatedOrder]:
    """The live 1688 orders of the buyer account placed between ``since`` and ``until`` under
    this ``outOrderId``: what an earlier try whose answer was lost did make. An entry is ours
    when its ``outOrderId`` is ours or, where 1688 left that out, when it carries our buyer
    message. Cancelled and terminated orders are left out: they order nothing.

    Raises `MalformedResponse` when the list is longer than it reads (no verdict): the caller
    then keeps the outcome unknown rather than placing again."""
    found: list[CreatedOrder] = []
    for page in range(1, LIST_MAX_PAGES + 1):
        data = client.call(
            NAMESPACE,
            BUYER_ORDER_LIST,
            {
                "createStartTime": platform_time(since),
                "createEndTime": platform_time(until),
                "page": page,
                "pageSize": LIST_PAGE_SIZE,
                "outOrderId": out_order_id,
            },
        )
        code, text = error_fields(data)
        if code or data.get("success") in (False, "false"):
            raise refusal(code, text)
        entries = data.get("result") or []
        if not isinstance(entries, list):
            raise MalformedResponse
        for i, entry in enumerate(entries):
            base = entry.get("baseInfo") if isinstance(entry, dict) else None
            if not isinstance(base, dict) or not (base.get("idOfStr") or base.get("id")):
                raise MalformedResponse
            theirs = base.get("outOrderId")
            ours = theirs == out_order_id if theirs else base.get("buyerFeedback") == message
            if not ours or str(base.get("status") or "") in CLOSED:
                continue
            where = f"result[{i}].baseInfo"
            found.append(
                CreatedOrder(
                    str(base.get("idOfStr") or base["id"]),
                    _yuan(base.get("totalAmount"), where),
                    _yuan(base.get("shippingFee") or 0, where),
                )
            )
        total = data.get("totalRecord")
        read = page * LIST_PAGE_SIZE
        if len(entries) < LIST_PAGE_SIZE or (isinstance(total, int) and read >= total):
            return found
    raise MalformedResponse(
        _("1688's order list is longer than %(n)s orders for that time: look for %(out)s there.")
        % {"n": LIST_PAGE_SIZE * LIST_MAX_PAGES, "out": out_order_id}
    )


def cancel(client: Client, order_id: str, *, remark: str = "") -> None:
    """Cancel one 1688 order the buyer has not paid (Refused when 1688 says no). Cancelling an
    order already cancelled answers success, so a repeated call is harmless."""
    params = {"webSite": "1688", "tradeID": order_id, "cancelReason": "other"}
    if remark:
        params["remark"] = remark[:200]
    data = client.call(NAMESPACE, CANCEL, params)
    if not _ok(data):
        raise refusal(*error_fields(data))


@dataclass(frozen=True)
class TraceStep:
    at: str
    remark: str


@dataclass(frozen=True)
class Parcel:
    """One parcel the seller sent for an order, with the carrier's scans (oldest first)."""

    order_id: str
    logistics_id: str
    carrier: str
    tracking_number: str
    status: str
    steps: tuple[TraceStep, ...] = ()

    @property
    def latest(self) -> TraceStep | None:
        return self.steps[-1] if self.steps else None

    def as_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "order_id": self.order_id,
            "logistics_id": self.logistics_id,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "status": self.status,
            "latest_at": latest.at if latest else "",
            "latest": latest.remark if latest else "",
            "steps": [{"at": s.at, "remark": s.remark} for s in self.steps[-20:]],
        }


def parcels(client: Client, order_id: str) -> list[Parcel]:
    """The parcels of one 1688 order (getLogisticsInfos) with each one's trace
    (getLogisticsTraceInfo). An order not shipped yet has none."""
    data = client.call(
        LOGISTICS_NAMESPACE,
        LOGISTICS_INFOS,
        {"orderId": order_id, "webSite": "1688", "fields": "company.name,sendgood"},
    )
    if not _ok(data):
        raise refusal(*error_fields(data))
    found = []
    for item in data.get("result") or []:
        if not isinstance(item, dict) or not item.get("logisticsId"):
            raise MalformedResponse
        logistics_id = str(item["logisticsId"])
        found.append(
            Parcel(
                order_id=order_id,
                logistics_id=logistics_id,
                carrier=str(item.get("logisticsCompanyName") or ""),
                tracking_number=str(item.get("logisticsBillNo") or ""),
                status=str(item.get("status") or ""),
                steps=_trace(client, order_id, logistics_id),
            )
        )
    return found


def _trace(client: Client, order_id: str, logistics_id: str) -> tuple[TraceStep, ...]:
    data = client.call(
        LOGISTICS_NAMESPACE,
        LOGISTICS_TRACE,
        {"orderId": order_id, "logisticsId": logistics_id, "webSite": "1688"},
    )
    if not _ok(data):
        raise refusal(*error_fields(data))
    for trace in data.get("logisticsTrace") or []:
        if isinstance(trace, dict) and str(trace.get("logisticsId")) == logistics_id:
            return tuple(
                TraceStep(str(s.get("acceptTime") or ""), str(s.get("remark") or ""))
                for s in trace.get("logisticsSteps") or []
                if isinstance(s, dict)
            )
    return ()

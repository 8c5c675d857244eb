"""A local fake of the 1688 open platform, for tests and `make run` (ALIBABA_OPEN_FAKE=1).

It is a transport for `catalog.adapters.open1688.Client`: it receives the URL and form fields
the client would POST to gw.open.1688.com and answers with the HTTP status and JSON body 1688
publishes for that API (see the docstrings of `catalog.adapters.open1688` and
`orders.adapters.trade1688` for the sources of each shape). It knows nothing of the portal's
models: offers, prices and stock are what it is told (`offer()`), and unknown offers sell at
`default_price_cny` with plenty of stock.

What it checks, as the real gateway does: the app key in the path, ``_aop_signature`` over the
path and sorted parameters, the access token (issued by its own ``getToken``, which takes the
refresh token), the MOQ and stock of each cargo line, and ``outOrderId`` (an order id seen
before answers the order it created, never a second one).

What it can be told to do for the next calls of one API (`fail()`): ``timeout`` (no answer, no
work), ``timeout_after`` (the work is done, then no answer), ``rate_limit``, ``system_error``,
``malformed``, ``token_expired``, or refuse with a 1688 code (``500_004`` out of stock, ...).
`pay()`, `ship()` and `close()` move an order as the seller and 1688 would; buyerView answers
its state; `push()` builds the signed message 1688 would POST for an event.
`split_orders` makes createCrossOrder answer several orders (its ``orderList`` shape);
`partial` makes it create the first cargo line's order and fail the rest (``failedOfferList``).

State lives in the process (one `FakePlatform`, `PLATFORM`): enough for tests and for `make run`,
where Celery runs tasks in the web process.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from catalog.adapters.open1688 import sign

APP_KEY = "1000000"
# The fake's own test credentials, public by design.
APP_SECRET = "fake-app-secret"  # noqa: S105
REFRESH_TOKEN = "fake-refresh-token"  # noqa: S105
TOKEN_PATH = "http/1/system.oauth2/getToken/"  # noqa: S105


@dataclass
class FakeOffer:
    price_cny: Decimal
    stock: int = 100000
    moq: int = 1


@dataclass
class FakeOrder:
    order_id: str
    out_order_id: str
    cargo: list[dict[str, Any]]
    goods_fen: int
    freight_fen: int
    trade_status: str = "waitbuyerpay"  # buyerView's baseInfo.status
    refund_status: str = ""
    logistics: list[dict[str, str]] = field(default_factory=list)


@dataclass
class FakePlatform:
    default_price_cny: Decimal = Decimal("10.00")
    freight_cny: Decimal = Decimal("8.00")
    split_orders: bool = False
    partial: bool = False
    offers: dict[tuple[str, str], FakeOffer] = field(default_factory=dict)
    orders: dict[str, FakeOrder] = field(default_factory=dict)
    results_by_out_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    failures: dict[str, list[str]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(3401000000000000001))

    # --- what tests and the demo tell it ------------------------------------------------------

    def offer(self, offer_id: str, spec_id: str = "", **kwargs) -> FakeOffer:
        self.offers[(str(offer_id), spec_id)] = FakeOffer(**kwargs)
        return self.offers[(str(offer_id), spec_id)]

    def fail(self, api: str, *kinds: str) -> None:
        """The next calls of `api` (its name, e.g. "alibaba.trade.createCrossOrder") do these."""
        self.failures.setdefault(api, []).extend(kinds)

    def pay(self, order_id: str) -> None:
        self.orders[order_id].trade_status = "waitsellersend"

    def ship(self, order_id: str, *, carrier: str, bill_no: str) -> None:
        order = self.orders[order_id]
        order.trade_status = "waitbuyerreceive"
        order.logistics.append({"logisticsCompanyName": carrier, "logisticsBillNo": bill_no})

    def close(self, order_id: str, *, refunded: bool = False) -> None:
        order = self.orders[order_id]
        order.trade_status = "cancel" if not refunded else "terminated"
        order.refund_status = "refundsuccess" if refunded else ""

    def push(self, order_id: str, message_type: str, msg_id: int = 1) -> dict[str, str]:
        """The form 1688 POSTs to the message URL for an event of this order (go1688 and the
        message docs: ``message`` JSON and ``_aop_signature`` over "message" + its value)."""
        order = self.orders[order_id]
        message = json.dumps(
            {
                "bizKey": order_id,
                "data": {
                    "buyerMemberId": "b2b-fakebuyer",
                    "currentStatus": order.trade_status,
                    "orderId": int(order_id),
                    "sellerMemberId": "b2b-fakeseller",
                    "msgSendTime": "2026-12-03 10:00:00",
                },
                "gmtBorn": 1796317079552,
                "msgId": msg_id,
                "type": message_type,
                "userInfo": "b2b-fakebuyer",
            },
            ensure_ascii=False,
        )
        return {"message": message, "_aop_signature": sign("", {"message": message}, APP_SECRET)}

    def reset(self) -> None:
        fresh = FakePlatform()
        self.__dict__.update(fresh.__dict__)

    def api_calls(self, api: str) -> int:
        return sum(1 for name, _fields in self.calls if name == api)

    # --- the transport -------------------------------------------------------------------------

    def __call__(self, url: str, fields: dict[str, str], timeout: float) -> tuple[int, bytes]:
        path = urlsplit(url).path.removeprefix("/openapi/")
        if path.startswith(TOKEN_PATH):
            self.calls.append(("system.oauth2.getToken", dict(fields)))
            return self._token(path.removeprefix(TOKEN_PATH), fields)
        parts = path.split("/")
        if len(parts) != 5 or parts[0] != "param2":
            return _gateway(404, "gw.APINotFound", "No such API")
        _protocol, _version, _namespace, api, app_key = parts
        self.calls.append((api, dict(fields)))
        if app_key != APP_KEY:
            return _gateway(400, "gw.AppKeyNotFound", "AppKey not found")
        if fields.get("_aop_signature") != sign(path, fields, APP_SECRET):
            return _gateway(400, "gw.SignatureInvalid", "Signature invalid")
        failure = self.failures.get(api, [])
        kind = failure.pop(0) if failure else ""
        if kind == "timeout":
            raise TimeoutError("fake 1688: no answer")
        if kind == "token_expired":
            self.tokens.discard(fields.get("access_token", ""))
        if fields.get("access_token") not in self.tokens:
            return _gateway(401, "gw.InvalidAccessToken", "Request need user authenticated")
        if kind == "rate_limit":
            return _gateway(400, "gw.QpsOverLimit", "App call limited")
        if kind == "system_error":
            return _gateway(500, "gw.ServiceUnavailable", "Service unavailable")
        if kind == "malformed":
            return 200, b"<html>gateway maintenance</html>"
        handler = {
            "alibaba.createOrder.preview": self._preview,
            "alibaba.trade.createCrossOrder": self._create,
            "alibaba.trade.get.buyerView": self._buyer_view,
        }.get(api)
        if handler is None:
            return _gateway(400, "gw.APIACLDecline", "AppKey is not allowed(acl)")
        answer = handler(fields, refuse=kind if kind.startswith("500_") else "")
        if kind == "timeout_after":
            raise TimeoutError("fake 1688: the work is done, the answer is lost")
        return 200, json.dumps(answer, ensure_ascii=False).encode()

    def _token(self, app_key: str, fields: dict[str, str]) -> tuple[int, bytes]:
        if (
            app_key != APP_KEY
            or fields.get("client_id") != APP_KEY
            or fields.get("client_secret") != APP_SECRET
            or fields.get("grant_type") != "refresh_token"
            or fields.get("refresh_token") != REFRESH_TOKEN
        ):
            return _json(401, {"error": "invalid_grant", "error_description": "refresh token"})
        token = hashlib.sha1(str(len(self.tokens)).encode(), usedforsecurity=False).hexdigest()
        token = f"fake-{token[:24]}"
        self.tokens.add(token)
        return _json(
            200,
            {
                "aliId": "8000000001",
                "resource_owner": "fakebuyer",
                "memberId": "b2b-fakebuyer",
                "expires_in": "36000",
                "access_token": token,
            },
        )

    # --- trade ---------------------------------------------------------------------------------

    def _priced(self, fields: dict[str, str]) -> tuple[list[dict[str, Any]], str, str]:
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
            offer = self.offers.get((offer_id, spec_id)) or FakeOffer(self.default_price_cny)
            if quantity > offer.stock:
                # 1688's own wording, fullwidth comma included.
                return [], "500_004", f"商品[{offer_id}_{spec_id}]库存不足，请核实库存后订购。"  # noqa: RUF001
            if quantity < offer.moq:
                return [], "500_005", f"商品[{offer_id}]的购买数量不满足起批量限制。"
            lines.append(
                {
                    "offerId": int(offer_id),
                    "specId": spec_id,
                    "finalUnitPrice": float(offer.price_cny),
                    "amount": float(offer.price_cny * quantity),
                    "fen": int(offer.price_cny * quantity * 100),
                }
            )
        return lines, "", ""

    def _preview(self, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
        lines, code, message = self._priced(fields)
        if refuse:
            code, message = refuse, f"fake refusal {refuse}"
        if code:
            return {"success": False, "errorCode": code, "errorMsg": message}
        goods = sum(line.pop("fen") for line in lines)
        freight = int(self.freight_cny * 100)
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

    def _create(self, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
        out_order_id = fields.get("outOrderId", "")
        if out_order_id and out_order_id in self.results_by_out_id:
            return self.results_by_out_id[out_order_id]
        lines, code, message = self._priced(fields)
        if refuse:
            code, message = refuse, f"fake refusal {refuse}"
        if code:
            return {"success": False, "code": code, "message": message}
        freight = int(self.freight_cny * 100)
        if self.partial and len(lines) > 1:
            first, rest = lines[0], lines[1:]
            order = self._new_order(out_order_id, [first], first["fen"], freight)
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
        elif self.split_orders and len(lines) > 1:
            orders = [self._new_order(out_order_id, [line], line["fen"], freight) for line in lines]
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
            order = self._new_order(out_order_id, lines, goods, freight)
            answer = {
                "success": True,
                "result": {
                    "success": True,
                    "orderId": order.order_id,
                    "totalSuccessAmount": goods + freight,
                    "postFee": freight,
                },
            }
        if out_order_id:
            self.results_by_out_id[out_order_id] = answer
        return answer

    def _buyer_view(self, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
        order = self.orders.get(fields.get("orderId", ""))
        if order is None or fields.get("webSite") != "1688":
            return {"success": "false", "errorCode": "400", "errorMessage": "order not found"}
        total = (order.goods_fen + order.freight_fen) / 100
        return {
            "success": "true",
            "result": {
                "baseInfo": {
                    "id": int(order.order_id),
                    "idOfStr": order.order_id,
                    "status": order.trade_status,
                    "refundStatus": order.refund_status,
                    "outOrderId": order.out_order_id,
                    "totalAmount": total,
                    "shippingFee": order.freight_fen / 100,
                    "sumProductPayment": order.goods_fen / 100,
                },
                "nativeLogistics": {"logisticsItems": order.logistics},
                "productItems": [
                    {"productID": line["offerId"], "specId": line["specId"]} for line in order.cargo
                ],
            },
        }

    def _new_order(self, out_order_id, cargo, goods_fen, freight_fen) -> FakeOrder:
        order = FakeOrder(str(next(self._ids)), out_order_id, cargo, goods_fen, freight_fen)
        self.orders[order.order_id] = order
        return order


def _json(status: int, data: dict[str, Any]) -> tuple[int, bytes]:
    return status, json.dumps(data, ensure_ascii=False).encode()


def _gateway(status: int, code: str, message: str) -> tuple[int, bytes]:
    return _json(status, {"error_code": code, "error_message": message, "exception": message})


PLATFORM = FakePlatform()

"""The fake 1688 gateway: a transport for `catalog.adapters.open1688.Client`.

It receives the URL and form fields the client would POST to gw.open.1688.com and answers with
the HTTP status and JSON body 1688 publishes for that API (the sources of each shape are in the
docstrings of `catalog.adapters.open1688`, `catalog.adapters.alibaba1688` and
`orders.adapters.trade1688`). It knows nothing of the portal's models: offers, prices and stock
are what it is told (`offer()`, `product()`); an offer it was not told about sells at the
default price with plenty of stock.

What it checks, as the real gateway does: the app key in the path, ``_aop_signature`` over the
path and sorted parameters, the access token (issued by its own ``getToken``, which takes the
refresh token), and the MOQ and stock of each cargo line. Like 1688 as far as its docs say, it
does not refuse a second order under an ``outOrderId`` it has seen: an order placed twice is
made twice, which is what the portal's look-up before placing again is tested against.

What it can be told to do for the next calls of one API (`fail()`): ``timeout`` (no answer, no
work), ``timeout_after`` (the work is done, then no answer), ``rate_limit``, ``system_error``,
``malformed``, ``token_expired``, or refuse with a 1688 code (``500_004`` out of stock, ...).
`split_orders` makes createCrossOrder answer several orders (``orderList``); `partial` makes it
create the first cargo line's order and refuse the rest (``failedOfferList``). `pay()`,
`ship()`, `trace()` and `close()` move an order as the seller, the carrier and 1688 would;
`push()` builds the signed message 1688 would POST for an event.

Everything it knows is a `FakeRecord` row, so the web process, a worker and `seed_demo` share
it, and a test's transaction rolls it back with everything else.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from catalog.adapters import open1688
from catalog.adapters.fake1688.models import FakeCall, FakeRecord
from catalog.adapters.open1688 import sign

APP_KEY = "1000000"
# The fake's own test credentials, public by design.
APP_SECRET = "fake-app-secret"  # noqa: S105
REFRESH_TOKEN = "fake-refresh-token"  # noqa: S105
TOKEN_PATH = "http/1/system.oauth2/getToken/"  # noqa: S105
FIRST_ORDER_ID = 3401000000000000000
K = FakeRecord.Kind
SETTINGS_DEFAULTS = {
    "default_price_cny": "10.00",
    "freight_cny": "8.00",
    "split_orders": False,
    "partial": False,
}


@dataclass(frozen=True)
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
    buyer_feedback: str = ""  # the message the order was placed with
    created: str = ""  # baseInfo.createTime, as 1688 writes times: "20261203100000000+0800"
    refund_status: str = ""
    # One entry per parcel the seller sent: getLogisticsInfos.buyerView's fields, with the
    # trace's steps ({"acceptTime", "remark"}) under "steps".
    logistics: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "out_order_id": self.out_order_id,
            "cargo": self.cargo,
            "goods_fen": self.goods_fen,
            "freight_fen": self.freight_fen,
            "trade_status": self.trade_status,
            "refund_status": self.refund_status,
            "buyer_feedback": self.buyer_feedback,
            "created": self.created,
            "logistics": self.logistics,
        }


def _setting(name: str):
    def getter(self):
        return self._settings()[name]

    def setter(self, value):
        self.configure(**{name: value})

    return property(getter, setter)


class FakeGateway:
    """The fake platform. Settings read and write through to the database, so
    ``platform.partial = True`` in a test is seen by the task that places the order."""

    def __init__(self):
        # API name -> handler(platform, fields, refuse=code) -> answer dict; the trade and
        # logistics handlers (`catalog.adapters.fake1688.trade`) register themselves here.
        from catalog.adapters.fake1688 import trade

        self.handlers = {
            "product.search.queryProductDetail": _query_product_detail,
            "alibaba.product.get": _product_get,
            **trade.HANDLERS,
        }

    # --- settings ---------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        row = FakeRecord.objects.filter(kind=K.SETTINGS, key="platform").first()
        values = {**SETTINGS_DEFAULTS, **(row.data if row else {})}
        values["default_price_cny"] = Decimal(str(values["default_price_cny"]))
        values["freight_cny"] = Decimal(str(values["freight_cny"]))
        return values

    def configure(self, **changes) -> None:
        unknown = set(changes) - set(SETTINGS_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown fake 1688 settings: {sorted(unknown)}")
        current = {**SETTINGS_DEFAULTS}
        row = FakeRecord.objects.filter(kind=K.SETTINGS, key="platform").first()
        current.update(row.data if row else {})
        current.update({k: str(v) if isinstance(v, Decimal) else v for k, v in changes.items()})
        FakeRecord.objects.update_or_create(
            kind=K.SETTINGS, key="platform", defaults={"data": current}
        )

    default_price_cny = _setting("default_price_cny")
    freight_cny = _setting("freight_cny")
    split_orders = _setting("split_orders")
    partial = _setting("partial")

    # --- what tests and the demo tell it ------------------------------------------------------

    def offer(self, offer_id: str, spec_id: str = "", **kwargs) -> FakeOffer:
        offer = FakeOffer(
            **{k: (Decimal(str(v)) if k == "price_cny" else v) for k, v in kwargs.items()}
        )
        FakeRecord.objects.update_or_create(
            kind=K.OFFER,
            key=f"{offer_id}/{spec_id}",
            defaults={
                "data": {"price_cny": str(offer.price_cny), "stock": offer.stock, "moq": offer.moq}
            },
        )
        return offer

    def offer_of(self, offer_id: str, spec_id: str = "") -> FakeOffer:
        row = FakeRecord.objects.filter(kind=K.OFFER, key=f"{offer_id}/{spec_id}").first()
        if row is None:
            return FakeOffer(self.default_price_cny)
        return FakeOffer(Decimal(row.data["price_cny"]), row.data["stock"], row.data["moq"])

    def product(self, response: dict[str, Any]) -> str:
        """Answer this response (queryProductDetail's or alibaba.product.get's, as 1688 sends
        it) when the offer it describes is asked for; returns the offer id."""
        if "productInfo" in response:
            offer_id, api = str(response["productInfo"]["productID"]), "alibaba.product.get"
        else:
            offer_id = str(response["result"]["result"]["offerId"])
            api = "product.search.queryProductDetail"
        row, _created = FakeRecord.objects.get_or_create(kind=K.PRODUCT, key=offer_id)
        row.data = {**row.data, api: response}
        row.save(update_fields=["data"])
        return offer_id

    def fail(self, api: str, *kinds: str) -> None:
        """The next calls of `api` (its name, e.g. "alibaba.trade.createCrossOrder") do these."""
        with transaction.atomic():
            row, _created = FakeRecord.objects.select_for_update().get_or_create(
                kind=K.FAILURES, key=api, defaults={"data": {"kinds": []}}
            )
            row.data = {"kinds": [*row.data.get("kinds", []), *kinds]}
            row.save(update_fields=["data"])

    def _next_failure(self, api: str) -> str:
        with transaction.atomic():
            row = FakeRecord.objects.select_for_update().filter(kind=K.FAILURES, key=api).first()
            if row is None or not row.data.get("kinds"):
                return ""
            kind, *rest = row.data["kinds"]
            row.data = {"kinds": rest}
            row.save(update_fields=["data"])
            return kind

    # --- orders -------------------------------------------------------------------------------

    @property
    def orders(self) -> dict[str, FakeOrder]:
        return {
            row.key: FakeOrder(**row.data)
            for row in FakeRecord.objects.filter(kind=K.ORDER).order_by("pk")
        }

    def order(self, order_id: str) -> FakeOrder:
        return FakeOrder(**FakeRecord.objects.get(kind=K.ORDER, key=str(order_id)).data)

    def save_order(self, order: FakeOrder) -> None:
        FakeRecord.objects.filter(kind=K.ORDER, key=order.order_id).update(data=order.as_data())

    def new_order(
        self, out_order_id: str, cargo, goods_fen: int, freight_fen: int, message: str = ""
    ) -> FakeOrder:
        with transaction.atomic():
            row = FakeRecord.objects.create(kind=K.ORDER, key=f"new-{uuid.uuid4().hex}")
            order = FakeOrder(
                str(FIRST_ORDER_ID + row.pk),
                out_order_id,
                cargo,
                goods_fen,
                freight_fen,
                buyer_feedback=message,
                created=open1688.platform_time(timezone.now()),
            )
            row.key, row.data = order.order_id, order.as_data()
            row.save(update_fields=["key", "data"])
        return order

    def pay(self, order_id: str) -> None:
        order = self.order(order_id)
        order.trade_status = "waitsellersend"
        self.save_order(order)

    def ship(self, order_id: str, *, carrier: str, bill_no: str, remark: str = "") -> None:
        """The seller ships: a parcel with the carrier and its bill number, and the first scan."""
        order = self.order(order_id)
        order.trade_status = "waitbuyerreceive"
        order.logistics.append(
            {
                "logisticsId": f"BX{order.order_id[-8:]}{len(order.logistics) + 1:02d}",
                "logisticsBillNo": bill_no,
                "logisticsCompanyId": "",
                "logisticsCompanyName": carrier,
                "status": "ACCEPT",
                "steps": [{"acceptTime": "2026-12-03 18:00:00", "remark": remark or "卖家已发货"}],
            }
        )
        self.save_order(order)

    def trace(self, order_id: str, *, remark: str, at: str, status: str = "TRANSPORT") -> None:
        """The carrier scans the order's last parcel again."""
        order = self.order(order_id)
        parcel = order.logistics[-1]
        parcel["steps"].append({"acceptTime": at, "remark": remark})
        parcel["status"] = status
        self.save_order(order)

    def close(self, order_id: str, *, refunded: bool = False) -> None:
        order = self.order(order_id)
        order.trade_status = "cancel" if not refunded else "terminated"
        order.refund_status = "refundsuccess" if refunded else ""
        self.save_order(order)

    def push(self, order_id: str, message_type: str, msg_id: int = 1) -> dict[str, str]:
        """The form 1688 POSTs to the message URL for an event of this order (the message docs:
        ``message`` JSON and ``_aop_signature`` over "message" + its value)."""
        row = FakeRecord.objects.filter(kind=K.ORDER, key=str(order_id)).first()
        status = row.data["trade_status"] if row else "waitbuyerpay"
        message = json.dumps(
            {
                "bizKey": str(order_id),
                "data": {
                    "buyerMemberId": "b2b-fakebuyer",
                    "currentStatus": status,
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
        """Forget everything (tests roll back with their transaction; this is for demos)."""
        FakeRecord.objects.all().delete()
        FakeCall.objects.all().delete()

    @property
    def calls(self) -> list[tuple[str, dict[str, str]]]:
        return [(c.api, c.fields) for c in FakeCall.objects.order_by("pk")]

    def api_calls(self, api: str) -> int:
        return FakeCall.objects.filter(api=api).count()

    # --- the transport ------------------------------------------------------------------------

    def __call__(self, url: str, fields: dict[str, str], timeout: float) -> tuple[int, bytes]:
        path = urlsplit(url).path.removeprefix("/openapi/")
        if path.startswith(TOKEN_PATH):
            FakeCall.objects.create(api="system.oauth2.getToken", fields=dict(fields))
            return self._token(path.removeprefix(TOKEN_PATH), fields)
        parts = path.split("/")
        if len(parts) != 5 or parts[0] != "param2":
            return _gateway(404, "gw.APINotFound", "No such API")
        _protocol, _version, _namespace, api, app_key = parts
        FakeCall.objects.create(api=api, fields=dict(fields))
        if app_key != APP_KEY:
            return _gateway(400, "gw.AppKeyNotFound", "AppKey not found")
        if fields.get("_aop_signature") != sign(path, fields, APP_SECRET):
            return _gateway(400, "gw.SignatureInvalid", "Signature invalid")
        kind = self._next_failure(api)
        if kind == "timeout":
            raise TimeoutError("fake 1688: no answer")
        if kind == "token_expired":
            FakeRecord.objects.filter(kind=K.TOKEN, key=fields.get("access_token", "")).delete()
        token = fields.get("access_token", "")
        if not token or not FakeRecord.objects.filter(kind=K.TOKEN, key=token).exists():
            return _gateway(401, "gw.InvalidAccessToken", "Request need user authenticated")
        if kind == "rate_limit":
            return _gateway(400, "gw.QpsOverLimit", "App call limited")
        if kind == "system_error":
            return _gateway(500, "gw.ServiceUnavailable", "Service unavailable")
        if kind == "malformed":
            return 200, b"<html>gateway maintenance</html>"
        handler = self.handlers.get(api)
        if handler is None:
            return _gateway(400, "gw.APIACLDecline", "AppKey is not allowed(acl)")
        with transaction.atomic():
            answer = handler(self, fields, refuse=kind if kind.startswith("500_") else "")
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
        row = FakeRecord.objects.create(kind=K.TOKEN, key=f"new-{uuid.uuid4().hex}")
        digest = hashlib.sha1(str(row.pk).encode(), usedforsecurity=False).hexdigest()
        row.key = f"fake-{digest[:24]}"
        row.save(update_fields=["key"])
        return _json(
            200,
            {
                "aliId": "8000000001",
                "resource_owner": "fakebuyer",
                "memberId": "b2b-fakebuyer",
                "expires_in": "36000",
                "access_token": row.key,
            },
        )


# --- offers in ---------------------------------------------------------------------------------


def _stored_product(offer_id: str, api: str) -> dict[str, Any] | None:
    row = FakeRecord.objects.filter(kind=K.PRODUCT, key=str(offer_id)).first()
    return (row.data if row else {}).get(api)


def _query_product_detail(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    """``offerDetailParam`` {offerId, country}: the stored response, or the documented
    refusal (``ResultModel`` with ``success: false``)."""
    try:
        offer_id = str(json.loads(fields["offerDetailParam"])["offerId"])
    except (KeyError, ValueError, TypeError):
        return {"result": {"success": False, "code": "400", "message": "offerDetailParam"}}
    stored = _stored_product(offer_id, "product.search.queryProductDetail")
    if stored is None or refuse:
        return {
            "result": {
                "success": False,
                "code": refuse or "500_001",
                "message": f"商品[{offer_id}]不存在或已下架",
            }
        }
    return stored


def _product_get(platform, fields: dict[str, str], *, refuse: str) -> dict[str, Any]:
    stored = _stored_product(fields.get("productID", ""), "alibaba.product.get")
    if stored is None or refuse:
        return {"success": False, "errorCode": refuse or "500_001", "errorMsg": "商品不存在"}
    return stored


def _json(status: int, data: dict[str, Any]) -> tuple[int, bytes]:
    return status, json.dumps(data, ensure_ascii=False).encode()


def _gateway(status: int, code: str, message: str) -> tuple[int, bytes]:
    return _json(status, {"error_code": code, "error_message": message, "exception": message})


def fake_image(url: str) -> bytes:
    """An offer image as the fake's image host serves it: a plain JPEG whose colour follows
    the URL, so each image of an offer differs and nothing reaches the network."""
    from PIL import Image

    digest = hashlib.sha1(url.encode(), usedforsecurity=False).digest()
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), tuple(digest[:3])).save(buffer, "JPEG")
    return buffer.getvalue()


PLATFORM = FakeGateway()

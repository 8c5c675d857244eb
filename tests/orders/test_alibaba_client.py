"""The 1688 open-platform client against the local fake: signing, tokens, retries, refusals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.adapters import open1688
from catalog.adapters.fake1688 import gateway as fake1688
from orders.adapters import trade1688
from orders.adapters.trade1688 import Cargo, Receiver, TradeClient

RECEIVER = Receiver(
    "Warehouse", "13800000000", "13800000000", "518000", "广东省", "深圳市", "", "1号"
)
CARGO = [Cargo("610947572360", "b266e0726506185beaf205cbae88530d", 5)]


pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    return fake1688.PLATFORM


@pytest.fixture
def exchanges():
    return []


@pytest.fixture
def sleeps():
    return []


def _client(platform, exchanges, sleeps, **config):
    values = {
        "app_key": fake1688.APP_KEY,
        "app_secret": fake1688.APP_SECRET,
        "refresh_token": fake1688.REFRESH_TOKEN,
        "backoff_seconds": 0.5,
        **config,
    }
    return open1688.Client(
        config=open1688.Config(**values),
        transport=platform,
        recorder=exchanges.append,
        sleep=sleeps.append,
    )


@pytest.fixture
def trade(platform, exchanges, sleeps):
    return TradeClient(_client(platform, exchanges, sleeps))


def test_signature_matches_the_documented_vector():
    # open.1688.com/doc/signature.htm: urlPath + sorted key+value, HMAC-SHA1, hex upper-case.
    signature = open1688.sign(
        "param2/1/system/currentTime/1000000", {"b": "2", "a": "1"}, "test123"
    )

    assert signature == "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"


def test_the_signature_leaves_itself_out():
    params = {"b": "2", "a": "1"}

    assert open1688.sign("p", {**params, "_aop_signature": "X"}, "s") == open1688.sign(
        "p", params, "s"
    )


def test_the_first_call_fetches_a_token_and_later_calls_reuse_it(trade, platform):
    trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert platform.api_calls("system.oauth2.getToken") == 1
    assert platform.api_calls("alibaba.createOrder.preview") == 2


def test_an_expired_token_is_renewed_once_and_the_call_goes_through(trade, platform, sleeps):
    trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    platform.fail("alibaba.createOrder.preview", "token_expired")

    preview = trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert preview.goods_cny > 0
    assert platform.api_calls("system.oauth2.getToken") == 2
    assert sleeps == []  # a renewal is not a retry


def test_a_refresh_token_refused_is_a_token_error(platform, exchanges, sleeps):
    client = _client(platform, exchanges, sleeps, refresh_token="revoked")

    with pytest.raises(open1688.TokenRefused):
        TradeClient(client).preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")


def test_a_wrong_secret_is_refused_by_the_signature_check(platform, exchanges, sleeps):
    client = _client(platform, exchanges, sleeps, access_token="anything", refresh_token="")

    client.config = open1688.Config(
        app_key=fake1688.APP_KEY, app_secret="wrong", access_token="anything"
    )
    with pytest.raises(open1688.SignatureRefused):
        TradeClient(client).preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")


def test_rate_limits_are_retried_with_growing_pauses(trade, platform, sleeps):
    platform.fail("alibaba.createOrder.preview", "rate_limit", "rate_limit")

    trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert sleeps == [0.5, 1.0]
    assert platform.api_calls("alibaba.createOrder.preview") == 3


def test_retries_stop_after_the_configured_attempts(trade, platform):
    platform.fail("alibaba.createOrder.preview", *["system_error"] * 5)

    with pytest.raises(open1688.SystemBusy):
        trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    assert platform.api_calls("alibaba.createOrder.preview") == 4


def test_a_timeout_on_a_read_is_retried(trade, platform):
    platform.fail("alibaba.createOrder.preview", "timeout")

    trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert platform.api_calls("alibaba.createOrder.preview") == 2


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("timeout", open1688.PlatformTimeout),
        ("timeout_after", open1688.PlatformTimeout),
        ("system_error", open1688.SystemBusy),
        ("malformed", open1688.MalformedResponse),
    ],
)
def test_creating_an_order_is_never_retried_when_its_outcome_is_unknown(
    trade, platform, kind, error
):
    platform.fail("alibaba.trade.createCrossOrder", kind)

    with pytest.raises(error):
        trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    assert platform.api_calls("alibaba.trade.createCrossOrder") == 1


def test_creating_an_order_is_retried_after_a_rate_limit(trade, platform):
    platform.fail("alibaba.trade.createCrossOrder", "rate_limit")

    created = trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert len(created.orders) == 1
    assert len(platform.orders) == 1


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("500_004", "Out of stock"),
        ("500_005", "minimum order quantity"),
        ("500_001", "does not sell this offer online"),
    ],
)
def test_refusals_are_mapped_to_clear_errors(trade, platform, code, words):
    platform.fail("alibaba.trade.createCrossOrder", code)

    with pytest.raises(open1688.Refused) as refused:
        trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    assert words in str(refused.value.message)
    assert refused.value.platform_code == code
    assert platform.orders == {}


def test_preview_refusals_read_error_code_and_message(trade, platform):
    platform.offer(CARGO[0].offer_id, CARGO[0].spec_id, price_cny=5, stock=2)

    with pytest.raises(open1688.Refused) as refused:
        trade.preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    assert refused.value.platform_code == "500_004"


def test_not_configured_calls_nothing(platform, exchanges, sleeps):
    client = _client(platform, exchanges, sleeps, app_key="", app_secret="")

    with pytest.raises(open1688.NotConfigured):
        TradeClient(client).preview(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    assert platform.calls == []


def test_recorded_exchanges_mask_every_secret(trade, exchanges):
    trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    token_call, create_call = exchanges
    assert token_call.request["client_secret"] == open1688.MASK
    assert token_call.request["refresh_token"] == open1688.MASK
    assert '"access_token": "***"' in token_call.response
    assert create_call.request["access_token"] == open1688.MASK
    assert create_call.request["_aop_signature"] == open1688.MASK
    assert fake1688.APP_SECRET not in repr(exchanges)
    assert create_call.request["outOrderId"] == "PO-1"
    assert create_call.http_status == 200


def test_placing_the_same_out_order_id_twice_makes_two_orders_as_1688_promises_no_dedupe(
    trade, platform
):
    first = trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")
    again = trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert first.orders[0].order_id != again.orders[0].order_id
    assert len(platform.orders) == 2


def _window():
    now = timezone.now()
    return {"since": now - timedelta(minutes=5), "until": now + timedelta(minutes=5)}


def test_the_order_list_finds_what_an_out_order_id_made_and_nothing_else(trade, platform):
    made = trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1", message="PO-1")
    trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-2", message="PO-2")

    found = trade1688.orders_placed_as(trade.client, "PO-1", message="PO-1", **_window())

    assert found == made.orders
    assert trade1688.orders_placed_as(trade.client, "PO-3", message="PO-3", **_window()) == []
    (call,) = [c for c in platform.calls if c[0] == trade1688.BUYER_ORDER_LIST][:1]
    assert call[1]["outOrderId"] == "PO-1"
    assert call[1]["pageSize"] == "20"
    assert len(call[1]["createStartTime"]) == len("20261203100000000+0800")
    assert call[1]["createStartTime"].endswith("+0800")


def test_the_order_list_leaves_out_closed_orders_and_orders_outside_the_window(trade, platform):
    made = trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1", message="PO-1")
    platform.close(made.orders[0].order_id)

    assert trade1688.orders_placed_as(trade.client, "PO-1", message="PO-1", **_window()) == []

    trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1", message="PO-1")
    earlier = timezone.now() - timedelta(days=2)
    found = trade1688.orders_placed_as(
        trade.client, "PO-1", message="PO-1", since=earlier, until=earlier + timedelta(hours=1)
    )
    assert found == []


def test_the_order_list_reads_every_page_and_matches_by_message_without_an_out_order_id(
    trade, platform, monkeypatch
):
    made = [
        trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id=f"PO-{i}", message=f"PO-{i}")
        for i in range(45)
    ]
    answers = []
    real = trade.client.call

    def without_out_order_ids(namespace, api, params, **kwargs):
        # Some answers leave baseInfo.outOrderId out and ignore the filter: the buyer message
        # the order was placed with identifies it then.
        params = {k: v for k, v in params.items() if k != "outOrderId"}
        data = real(namespace, api, params, **kwargs)
        for entry in data.get("result", []):
            entry["baseInfo"].pop("outOrderId")
        answers.append(data)
        return data

    monkeypatch.setattr(trade.client, "call", without_out_order_ids)

    found = trade1688.orders_placed_as(trade.client, "PO-3", message="PO-3", **_window())

    assert found == made[3].orders
    assert len(answers) == 3  # 45 orders, 20 a page


def test_an_order_list_longer_than_it_reads_gives_no_verdict(trade, platform, monkeypatch):
    monkeypatch.setattr(trade1688, "LIST_MAX_PAGES", 1)
    monkeypatch.setattr(trade1688, "LIST_PAGE_SIZE", 2)
    for _ in range(3):
        trade.create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1", message="PO-1")

    with pytest.raises(open1688.MalformedResponse):
        trade1688.orders_placed_as(trade.client, "PO-1", message="PO-1", **_window())


def test_an_order_list_refusal_is_a_refusal(trade, platform):
    platform.fail(trade1688.BUYER_ORDER_LIST, *["system_error"] * 4)

    with pytest.raises(open1688.OpenPlatformError):
        trade1688.orders_placed_as(trade.client, "PO-1", message="PO-1", **_window())


def test_a_split_answer_gives_every_order_with_its_freight(trade, platform):
    platform.split_orders = True
    cargo = [*CARGO, Cargo("610947572361", "", 3)]

    created = trade.create(cargo=cargo, receiver=RECEIVER, out_order_id="PO-1")

    assert len(created.orders) == 2
    assert created.freight_cny == 2 * platform.freight_cny
    assert created.goods_cny == 8 * platform.default_price_cny


def test_more_skus_than_1688_takes_are_refused_before_calling(trade, platform):
    cargo = [Cargo(str(610947572360 + i), "", 1) for i in range(51)]

    with pytest.raises(open1688.Refused):
        trade.create(cargo=cargo, receiver=RECEIVER, out_order_id="PO-1")
    assert platform.calls == []


class _Answer:
    """A transport answering every API call with one body (and the token call as the fake)."""

    def __init__(self, platform, body):
        self.platform, self.body = platform, body

    def __call__(self, url, fields, timeout):
        if "getToken" in url:
            return self.platform(url, fields, timeout)
        return 200, self.body


def test_an_order_id_beside_success_false_is_still_an_order(platform, exchanges, sleeps):
    # The page's own example: {"totalSuccessAmount":156800,"orderId":"…","success":false}
    body = b'{"totalSuccessAmount":156800,"orderId":"87407346014789305","success":false}'
    client = _client(platform, exchanges, sleeps)
    client.transport = _Answer(platform, body)

    created = TradeClient(client).create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

    assert created.orders[0].order_id == "87407346014789305"
    assert str(created.total_cny) == "1568.00"


def test_a_success_without_an_order_id_is_unreadable(platform, exchanges, sleeps):
    client = _client(platform, exchanges, sleeps)
    client.transport = _Answer(platform, b'{"success":true,"result":{"success":true}}')

    with pytest.raises(open1688.MalformedResponse):
        TradeClient(client).create(cargo=CARGO, receiver=RECEIVER, out_order_id="PO-1")

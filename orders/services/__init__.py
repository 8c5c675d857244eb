"""Every write of the orders app, one module per family of operations:

* `cart`: adding, changing and removing cart lines, quick orders;
* `checkout`: placing orders (cart, API lines, accepted quotes) and paying them;
* `approvals`: orders above a buyer's spending limit;
* `purchasing`: routing (change supplier, split), placing on 1688, price differences, out of
  stock, cancelling and shipping purchase orders;
* `alibaba`: previewing and placing purchase orders through 1688's trade API, and reading
  their events and domestic parcels; `alibaba_split`: cancelling or completing a partial split;
* `receiving`: receiving and counting, returning, and the merchant's decisions on failed lines;
* `inspection`: inspecting received lines, one or several in one submit, all or nothing;
* `payables`: what we owe suppliers;
* `sourcing`: sourcing requests, quotes and the message threads;
* `refunds`: cancelling orders and giving money back;
* `status`: what they share: the order and purchase-order status moves, the locks and the
  derivation of an order's status from its purchase orders.

Rules carried by all of them:

* Statuses change only through `procurement.core.states` against the model's `TRANSITIONS`
  (lock the row, check the table, save with `update_fields`, write an event row). An order's
  status follows its purchase orders (`status._order_follow_purchase_orders`).
* Locks are taken in one order: the order row, then its purchase orders in primary-key order,
  then (inside the payments services) the FX quote and the ledger accounts.
* Money moves only through payments services, each with an idempotency key derived from our
  own reference ("order:12:checkout", "po:7:refund"), so a retry never moves it twice.
* Mail and tasks go through the task outbox: written inside the transaction, sent after commit,
  swept later if the broker was down; they take ids and tolerate a repeat. Webhook deliveries
  (`orders.webhooks`) are written inside the transaction and sent after commit.
* What a purchase order shows about its supplier is copied to the catalog's scorecard.

Callers import this package (`from orders import services; services.cart_add(...)`); the names
below are its public surface.
"""

from orders import selectors  # some callers read selectors through `services.selectors`
from orders.services.alibaba import (
    alibaba_configured,
    alibaba_place_request,
    alibaba_preview_request,
)
from orders.services.alibaba_split import alibaba_cancel_request, alibaba_complete_request
from orders.services.approvals import order_approve, order_reject
from orders.services.cart import (
    CartChange,
    QuickOrderResult,
    cart_accept_prices,
    cart_add,
    cart_line_remove,
    cart_line_update,
    cart_quick_order,
)
from orders.services.checkout import (
    NewLine,
    RequestedLine,
    order_needs_approval,
    order_pay,
    order_place_from_cart,
    order_place_from_lines,
    order_quote_refresh,
)
from orders.services.inspection import (
    LineInspection,
    purchase_order_line_inspect,
    purchase_order_lines_inspect,
)
from orders.services.payables import (
    purchase_order_payable_record,
    purchase_order_supplier_price_correct,
)
from orders.services.purchasing import (
    DifferenceHandling,
    purchase_order_cancel,
    purchase_order_change_supplier,
    purchase_order_out_of_stock,
    purchase_order_place,
    purchase_order_price_accept,
    purchase_order_ship,
    purchase_order_split,
)
from orders.services.receiving import (
    purchase_order_line_accept,
    purchase_order_line_replace,
    purchase_order_line_return,
    purchase_order_receive,
    purchase_order_return,
)
from orders.services.refunds import order_cancel
from orders.services.sourcing import (
    message_post,
    parse_links,
    quote_default_validity,
    sourcing_quote_accept,
    sourcing_quote_create,
    sourcing_quote_decline,
    sourcing_quote_send,
    sourcing_request_create,
)
from orders.services.status import order_complete

__all__ = [
    "CartChange",
    "DifferenceHandling",
    "LineInspection",
    "NewLine",
    "QuickOrderResult",
    "RequestedLine",
    "alibaba_cancel_request",
    "alibaba_complete_request",
    "alibaba_configured",
    "alibaba_place_request",
    "alibaba_preview_request",
    "cart_accept_prices",
    "cart_add",
    "cart_line_remove",
    "cart_line_update",
    "cart_quick_order",
    "message_post",
    "order_approve",
    "order_cancel",
    "order_complete",
    "order_needs_approval",
    "order_pay",
    "order_place_from_cart",
    "order_place_from_lines",
    "order_quote_refresh",
    "order_reject",
    "parse_links",
    "purchase_order_cancel",
    "purchase_order_change_supplier",
    "purchase_order_line_accept",
    "purchase_order_line_inspect",
    "purchase_order_line_replace",
    "purchase_order_line_return",
    "purchase_order_lines_inspect",
    "purchase_order_out_of_stock",
    "purchase_order_payable_record",
    "purchase_order_place",
    "purchase_order_price_accept",
    "purchase_order_receive",
    "purchase_order_return",
    "purchase_order_ship",
    "purchase_order_split",
    "purchase_order_supplier_price_correct",
    "quote_default_validity",
    "selectors",
    "sourcing_quote_accept",
    "sourcing_quote_create",
    "sourcing_quote_decline",
    "sourcing_quote_send",
    "sourcing_request_create",
]

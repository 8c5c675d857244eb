"""Every read of the orders app, one module per part of the journey:

* `cart`: the merchant's cart and its lines priced at today's tiers, grouped by supplier;
* `landed_cost`: freight estimates and the landed cost the checkout shows before paying;
* `orders`: orders, purchase orders, approvals, what receiving scans, and supplier performance;
* `sourcing`: sourcing requests, their quotes and threads.

Every read a merchant reaches takes the company and is scoped to it. Callers import this
package (`from orders import selectors; selectors.order_list(...)`); the names below are its
public surface.
"""

from orders.selectors.cart import (
    PricedCart,
    PricedLine,
    ProductGroup,
    cart_count,
    cart_for,
    cart_lines,
    price_cart_lines,
    priced_cart,
)
from orders.selectors.landed_cost import FreightEstimate, LandedCost, freight_estimate, landed_cost
from orders.selectors.orders import (
    ORDERS_PAGE_SIZE,
    PurchaseOrderPerformance,
    approvals_pending,
    inspection_photo_of,
    order_detail,
    order_list,
    order_purchase_order_events,
    orders_of,
    promised_dispatch_days,
    purchase_order_find,
    purchase_order_line_of,
    purchase_order_of,
    purchase_order_performance,
)
from orders.selectors.sourcing import (
    sourcing_quote_of,
    sourcing_request_detail,
    sourcing_requests_of,
)

__all__ = [
    "ORDERS_PAGE_SIZE",
    "FreightEstimate",
    "LandedCost",
    "PricedCart",
    "PricedLine",
    "ProductGroup",
    "PurchaseOrderPerformance",
    "approvals_pending",
    "cart_count",
    "cart_for",
    "cart_lines",
    "freight_estimate",
    "inspection_photo_of",
    "landed_cost",
    "order_detail",
    "order_list",
    "order_purchase_order_events",
    "orders_of",
    "price_cart_lines",
    "priced_cart",
    "promised_dispatch_days",
    "purchase_order_find",
    "purchase_order_line_of",
    "purchase_order_of",
    "purchase_order_performance",
    "sourcing_quote_of",
    "sourcing_request_detail",
    "sourcing_requests_of",
]

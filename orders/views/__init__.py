"""Merchant pages: cart, quick order, checkout, paying, orders and their inspection photos,
approvals, sourcing requests.

Every view is gated by `company_required` and reads through `orders.selectors`, scoped to the
current company, so another company's objects answer 404. HTMX requests get the named partial
of the same template; every hx-* has a real href/action beside it.
"""

from orders.views.approvals import approval_list, order_decide
from orders.views.cart import (
    cart,
    cart_add,
    cart_count,
    cart_line_remove,
    cart_line_update,
    quick_order,
)
from orders.views.checkout import (
    checkout,
    order_cancel,
    order_pay,
    order_quote_refresh,
)
from orders.views.common import CART_CHANGED_EVENT
from orders.views.inspection import inspection_photo, inspection_photo_thumbnail
from orders.views.orders import (
    LINE_DECISIONS,
    order_confirmation,
    order_detail,
    order_list,
    order_message,
    purchase_order_accept_price,
    purchase_order_cancel,
    purchase_order_line_decide,
)
from orders.views.sourcing import (
    sourcing_create,
    sourcing_detail,
    sourcing_list,
    sourcing_message,
    sourcing_quote_accept,
    sourcing_quote_decline,
)

__all__ = [
    "CART_CHANGED_EVENT",
    "LINE_DECISIONS",
    "approval_list",
    "cart",
    "cart_add",
    "cart_count",
    "cart_line_remove",
    "cart_line_update",
    "checkout",
    "inspection_photo",
    "inspection_photo_thumbnail",
    "order_cancel",
    "order_confirmation",
    "order_decide",
    "order_detail",
    "order_list",
    "order_message",
    "order_pay",
    "order_quote_refresh",
    "purchase_order_accept_price",
    "purchase_order_cancel",
    "purchase_order_line_decide",
    "quick_order",
    "sourcing_create",
    "sourcing_detail",
    "sourcing_list",
    "sourcing_message",
    "sourcing_quote_accept",
    "sourcing_quote_decline",
]

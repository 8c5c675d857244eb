"""Carts, orders, supplier purchase orders, sourcing requests with their quotes, and messages.

Writes go through `orders.services`; reads through `orders.selectors`. Orders, purchase orders,
sourcing requests and quotes are `Stateful`: each holds its table of allowed moves
(`TRANSITIONS`) and its status changes only through `procurement.core.states`, which writes an
event row on the object's timeline (`events`).
"""

from orders.models.alibaba import AlibabaCall, AlibabaOrder
from orders.models.cart import Cart, CartLine
from orders.models.fields import CNY
from orders.models.messages import Message
from orders.models.orders import Order, OrderEvent, OrderLine
from orders.models.purchasing import (
    CHECKLIST,
    InspectionPhoto,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    PurchaseOrderLineEvent,
)
from orders.models.sourcing import (
    SourcingPhoto,
    SourcingQuote,
    SourcingQuoteEvent,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)

__all__ = [
    "CHECKLIST",
    "CNY",
    "AlibabaCall",
    "AlibabaOrder",
    "Cart",
    "CartLine",
    "InspectionPhoto",
    "Message",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PurchaseOrder",
    "PurchaseOrderEvent",
    "PurchaseOrderLine",
    "PurchaseOrderLineEvent",
    "SourcingPhoto",
    "SourcingQuote",
    "SourcingQuoteEvent",
    "SourcingQuoteLine",
    "SourcingRequest",
    "SourcingRequestEvent",
]

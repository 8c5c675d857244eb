"""Staff work on orders: the purchase order queue and its routing actions, sourcing requests and
quotes, and answering merchants' messages. Every action is permission-gated and calls the same
service the merchant pages use; the services write the event rows.

The admin classes register themselves when their modules are imported, one module per family.
"""

from orders.admin import orders, purchasing, sourcing
from orders.admin.purchasing import PURCHASE_ORDER_ACTIONS, PurchaseOrderAction

__all__ = ["PURCHASE_ORDER_ACTIONS", "PurchaseOrderAction", "orders", "purchasing", "sourcing"]

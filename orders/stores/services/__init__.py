"""Every write of store connections, one module per family:

* `channels`: the channel rule per destination country;
* `connections`: connecting (credentials checked by one read call, webhooks registered),
  settings, pausing, resuming, new credentials, removing; health recorded around every call;
* `intake`: store orders in by signed webhook and by polling, one portal order each;
* `mapping`: store variants linked to portal SKUs, waiting orders placed again;
* `fulfilment`: following the portal order to a parcel, pushing tracking, store cancellations;
* `publishing`: a portal product published to the store as a draft;
* `tracking`: carrier events after the first fulfillment passed on to the store.
"""

from orders.stores.services.channels import channel_rule_remove, channel_rule_set
from orders.stores.services.connections import (
    connection_credentials_update,
    connection_needs_attention,
    connection_pause,
    connection_remove,
    connection_resume,
    connection_update,
    connection_webhooks_register,
    store_connect,
    webhook_url,
)
from orders.stores.services.fulfilment import (
    store_order_cancel_decide,
    store_order_parcel_shipped,
    store_order_push,
    store_order_retry,
    store_order_sync,
)
from orders.stores.services.intake import (
    store_order_cancelled_in_store,
    store_order_place,
    store_order_take,
    store_orders_poll,
    store_webhook_receive,
)
from orders.stores.services.mapping import variant_link_map
from orders.stores.services.publishing import product_publish, publish_prices
from orders.stores.services.tracking import (
    store_tracking_event_take,
    tracking_push_send,
    tracking_pushes_send,
)

__all__ = [
    "channel_rule_remove",
    "channel_rule_set",
    "connection_credentials_update",
    "connection_needs_attention",
    "connection_pause",
    "connection_remove",
    "connection_resume",
    "connection_update",
    "connection_webhooks_register",
    "product_publish",
    "publish_prices",
    "store_connect",
    "store_order_cancel_decide",
    "store_order_cancelled_in_store",
    "store_order_parcel_shipped",
    "store_order_place",
    "store_order_push",
    "store_order_retry",
    "store_order_sync",
    "store_order_take",
    "store_orders_poll",
    "store_tracking_event_take",
    "store_webhook_receive",
    "tracking_push_send",
    "tracking_pushes_send",
    "variant_link_map",
    "webhook_url",
]

"""The one way a store order's status moves (through the kernel's state machine)."""

from __future__ import annotations

from orders.stores.models import StoreOrder
from procurement.core import states


def move(
    store_order: StoreOrder, to: str, reason: str = "", *, actor=None, changes: dict | None = None
) -> StoreOrder:
    """Move a store order the caller holds locked to `to` with the reason the merchant reads;
    staying where it is only updates the reason."""
    fields = {"reason": reason[:500], **(changes or {})}
    if store_order.status == to:
        for key, value in fields.items():
            setattr(store_order, key, value)
        store_order.save(update_fields=[*fields, "updated_at"])
        return store_order
    states.apply(store_order, to=to, actor=actor, reason=reason, changes=fields)
    return store_order

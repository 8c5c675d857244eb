"""Public hooks for the layers above logistics (which logistics must not import).

`parcel_shipped` is sent after the transaction that shipped a parcel commits, with
`parcel_id`: receivers take the id and queue their own work (orders.stores pushes the tracking
number to the merchant's store).

`tracking_event_recorded` is sent after the transaction that stored a new carrier event
commits, once per event (a replayed push or a repeated poll stores nothing and sends nothing),
with `parcel_id`, `event_id` and `kind` (a `TrackingEvent.Kind` value): orders.stores passes
the event on to the store the parcel's order came from.
"""

from django.dispatch import Signal

parcel_shipped = Signal()
tracking_event_recorded = Signal()

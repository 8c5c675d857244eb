"""Public hooks for the layers above logistics (which logistics must not import).

`parcel_shipped` is sent after the transaction that shipped a parcel commits, with
`parcel_id`: receivers take the id and queue their own work (orders.stores pushes the tracking
number to the merchant's store).
"""

from django.dispatch import Signal

parcel_shipped = Signal()

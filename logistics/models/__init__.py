"""Warehouses, address books, shipping channels and rates, stock, inbound parcels, parcels,
tracking events and storage charges, one module per family:

    places      Warehouse, Address
    channels    RestrictedGoods, ShippingChannel, RateZone
    stock       StockItem, StockPhoto, InboundParcel (+ its events), StorageCharge
    parcels     Parcel (+ its events), TrackingEvent, TrackingAlert, FreightCharge

Orders and purchase orders live in a higher layer: they are known here only by an opaque
reference ("po:12") and the data they copied into a stock item when it was received.
"""

from logistics.models.channels import RateZone, RestrictedGoods, ShippingChannel
from logistics.models.parcels import (
    FreightCharge,
    Parcel,
    ParcelEvent,
    TrackingAlert,
    TrackingEvent,
)
from logistics.models.places import Address, Warehouse
from logistics.models.stock import (
    InboundParcel,
    InboundParcelEvent,
    StockItem,
    StockPhoto,
    StorageCharge,
)

__all__ = [
    "Address",
    "FreightCharge",
    "InboundParcel",
    "InboundParcelEvent",
    "Parcel",
    "ParcelEvent",
    "RateZone",
    "RestrictedGoods",
    "ShippingChannel",
    "StockItem",
    "StockPhoto",
    "StorageCharge",
    "TrackingAlert",
    "TrackingEvent",
    "Warehouse",
]

"""Warehouses, address books, shipping channels and rates, stock, inbound parcels, parcels,
tracking events and storage charges, one module per family:

    places      Warehouse, Address
    channels    ShippingChannel (with the hazards it accepts), RateZone
    stock       StockItem, StockPhoto, InboundParcel (+ its events), StorageCharge
    customs     CustomsThreshold, CustomsProfile, DeclarationLine, ParcelBox
    documents   ParcelDocument
    parcels     Parcel (+ its events), TrackingEvent, TrackingAlert, FreightCharge

Orders and purchase orders live in a higher layer: they are known here only by an opaque
reference ("po:12") and the data they copied into a stock item when it was received.
"""

from logistics.models.channels import RateZone, ShippingChannel
from logistics.models.customs import (
    CustomsProfile,
    CustomsThreshold,
    DeclarationLine,
    ParcelBox,
)
from logistics.models.documents import ParcelDocument
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
    "CustomsProfile",
    "CustomsThreshold",
    "DeclarationLine",
    "FreightCharge",
    "InboundParcel",
    "InboundParcelEvent",
    "Parcel",
    "ParcelBox",
    "ParcelDocument",
    "ParcelEvent",
    "RateZone",
    "ShippingChannel",
    "StockItem",
    "StockPhoto",
    "StorageCharge",
    "TrackingAlert",
    "TrackingEvent",
    "Warehouse",
]

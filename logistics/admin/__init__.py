"""Staff admin for logistics, one module per family of pages:

    stock      warehouses, channels and rates, addresses, stock items, inbound parcels
    parcels    the packing queue, packing by boxes, shipping, freight and storage charges
    customs    customs thresholds, merchants' customs profiles

Status changes go through the services; no status field is editable here.
"""

from logistics.admin import customs, parcels, stock

__all__ = ["customs", "parcels", "stock"]

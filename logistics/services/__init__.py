"""Every write in logistics, one module per family of operations:

    addresses   the company's address book
    stock       goods received into stock, their photos, splits, units taken for a parcel
    documents   parcel PDFs built on the exports queue and kept by generation
    inbound     inbound parcels a forwarding customer declares, received into stock
    customs     declaration lines, thresholds, the merchant's customs numbers
    parcels     drafting, packing request, packing, shipping, cancelling; the guarded step
    tracking    carrier events (pushed and polled) moving parcels along
    charges     freight and storage charges settled through the payments ledger
    storage     monthly storage fees and the notice before they start
    mail        mail to merchants, sent by the tasks the services queue

Orders (a higher layer) call `stock_receive` with data copied at the boundary and an opaque
source reference ("po:12"). Views, admin actions and tasks call these same functions, through
the names below.
"""

from logistics.services.addresses import (
    ADDRESS_FIELDS,
    address_archive,
    address_create,
    address_update,
)
from logistics.services.charges import charges_settle_pending
from logistics.services.customs import (
    LINE_FIELDS,
    customs_profile_save,
    declaration_currencies,
    declaration_currency_set,
    declaration_line_update,
    declaration_lines_update,
    declaration_open,
    declaration_problems,
    parcel_customs_data,
    thresholds_for,
)
from logistics.services.documents import (
    documents_stale,
    parcel_document_build,
    parcel_document_render,
    parcel_document_request,
)
from logistics.services.inbound import inbound_cancel, inbound_declare, inbound_receive
from logistics.services.mail import (
    parcel_exception_mail_send,
    storage_notice_mail_send,
    tracking_alert_mail_send,
)
from logistics.services.parcels import (
    Box,
    hazards_check,
    hazards_refused,
    parcel_cancel,
    parcel_contents,
    parcel_create,
    parcel_items_add,
    parcel_pack,
    parcel_packing_charge,
    parcel_quote,
    parcel_request_packing,
    parcel_send_back,
    parcel_ship,
    parcel_transition,
)
from logistics.services.stock import (
    StockTaken,
    StockWant,
    stock_allocate,
    stock_item_split,
    stock_photo_add,
    stock_receive,
)
from logistics.services.storage import storage_fees_charge, storage_notices_send
from logistics.services.tracking import (
    tracking_events_record,
    tracking_parcels_due,
    tracking_poll,
    tracking_register,
)

__all__ = [
    "ADDRESS_FIELDS",
    "LINE_FIELDS",
    "Box",
    "StockTaken",
    "StockWant",
    "address_archive",
    "address_create",
    "address_update",
    "charges_settle_pending",
    "customs_profile_save",
    "declaration_currencies",
    "declaration_currency_set",
    "declaration_line_update",
    "declaration_lines_update",
    "declaration_open",
    "declaration_problems",
    "documents_stale",
    "hazards_check",
    "hazards_refused",
    "inbound_cancel",
    "inbound_declare",
    "inbound_receive",
    "parcel_cancel",
    "parcel_contents",
    "parcel_create",
    "parcel_customs_data",
    "parcel_document_build",
    "parcel_document_render",
    "parcel_document_request",
    "parcel_exception_mail_send",
    "parcel_items_add",
    "parcel_pack",
    "parcel_packing_charge",
    "parcel_quote",
    "parcel_request_packing",
    "parcel_send_back",
    "parcel_ship",
    "parcel_transition",
    "stock_allocate",
    "stock_item_split",
    "stock_photo_add",
    "stock_receive",
    "storage_fees_charge",
    "storage_notice_mail_send",
    "storage_notices_send",
    "thresholds_for",
    "tracking_alert_mail_send",
    "tracking_events_record",
    "tracking_parcels_due",
    "tracking_poll",
    "tracking_register",
]

"""Parcel documents as PDF, rendered with WeasyPrint (`procurement.core.pdf`) from templates in
templates/logistics/documents/:

    parcels     what each document of a parcel prints (commercial invoice, packing list, CN23
                content, neutral packing slip)

Built on the `exports` queue by `logistics.tasks.export_parcel_document` through
`logistics.services.documents`; the merchant's order confirmation and monthly statement are
built by their own layers (orders, payments) with the same kernel helper.
"""

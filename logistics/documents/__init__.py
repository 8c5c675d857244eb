"""Parcel documents as PDF, rendered with WeasyPrint from templates in
templates/logistics/documents/:

    render      HTML to PDF, with the fonts that print Chinese (Noto Sans CJK)
    parcels     what each document of a parcel prints (commercial invoice, packing list, CN23
                content, neutral packing slip)

Built on the `exports` queue by `logistics.tasks.export_parcel_document` through
`logistics.services.documents`; the merchant's order confirmation and monthly statement are
built the same way by their own layers (orders, payments) with `render_pdf`.
"""

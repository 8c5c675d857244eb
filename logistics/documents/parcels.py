"""What each document of a parcel prints. Values come from the declaration (never recomputed
here); a document that needs what the declaration lacks refuses with the line named."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.exceptions import DocumentFailed
from logistics.models import CustomsProfile, DeclarationLine, Parcel, ParcelDocument
from logistics.services.customs import declaration_total

TEMPLATES = {
    ParcelDocument.Kind.COMMERCIAL_INVOICE: "logistics/documents/commercial_invoice.html",
    ParcelDocument.Kind.PACKING_LIST: "logistics/documents/packing_list.html",
    ParcelDocument.Kind.CN23: "logistics/documents/cn23.html",
    ParcelDocument.Kind.PACKING_SLIP: "logistics/documents/packing_slip.html",
}


def kinds_for(parcel: Parcel) -> list[str]:
    """The documents a parcel has: every outbound parcel its invoice and packing list; postal
    parcels the CN23 content; dropship parcels the neutral slip."""
    kinds = [ParcelDocument.Kind.COMMERCIAL_INVOICE, ParcelDocument.Kind.PACKING_LIST]
    if parcel.channel.is_postal:
        kinds.append(ParcelDocument.Kind.CN23)
    if parcel.is_dropship:
        kinds.append(ParcelDocument.Kind.PACKING_SLIP)
    return kinds


def document_links(parcel: Parcel) -> list[tuple[str, str, ParcelDocument | None]]:
    """(kind, label, the latest document of that kind or None) for the parcel's pages; reads
    the prefetched `documents`."""
    latest = {document.kind: document for document in parcel.documents.all()}
    return [(kind, ParcelDocument.Kind(kind).label, latest.get(kind)) for kind in kinds_for(parcel)]


def _line_rows(lines: list[DeclarationLine]) -> list[dict]:
    rows = []
    for line in lines:
        unit_value = (
            (line.declared_value / line.quantity).quantize(Decimal("0.01"))
            if line.declared_value is not None
            else None
        )
        rows.append({"line": line, "unit_value": unit_value})
    return rows


def _valued(parcel: Parcel, lines: list[DeclarationLine]) -> None:
    for line in lines:
        if line.declared_value is None or line.declared_value <= 0:
            raise DocumentFailed(
                _("Line %(n)s (%(description)s) has no declared value.")
                % {"n": line.position, "description": line.description_en}
            )


def document_context(*, parcel: Parcel, kind: str) -> dict:
    """The template context of one document of `parcel`."""
    parcel = (
        Parcel.objects.select_related("company", "warehouse", "destination", "channel")
        .prefetch_related("declaration", "boxes", "items")
        .get(pk=parcel.pk)
    )
    lines = list(parcel.declaration.all())
    if not lines:
        raise DocumentFailed(_("The parcel has no declaration lines."))
    profile = CustomsProfile.objects.filter(company_id=parcel.company_id).first()
    if kind != ParcelDocument.Kind.PACKING_SLIP:
        _valued(parcel, lines)
    boxes = list(parcel.boxes.all())
    return {
        "parcel": parcel,
        "kind": kind,
        "title": ParcelDocument.Kind(kind).label,
        "company": parcel.company,
        "profile": profile,
        "importer": (profile.importer_name if profile and profile.importer_name else "")
        or parcel.company.legal_name,
        # The parcel's own brand (a store's) first, then the company's.
        "brand": parcel.brand_name
        or (profile.brand_name if profile and profile.brand_name else "")
        or parcel.company.legal_name,
        "customer_reference": parcel.customer_reference,
        "warehouse": parcel.warehouse,
        "destination": parcel.destination,
        "rows": _line_rows(lines),
        "currency": parcel.declaration_currency,
        "total_value": declaration_total(parcel),
        "total_quantity": sum(line.quantity for line in lines),
        "net_weight": sum((line.net_weight_kg for line in lines), Decimal(0)),
        "gross_weight": parcel.actual_weight_kg
        or sum((line.gross_weight_kg for line in lines), Decimal(0)),
        "boxes": boxes,
        "box_count": len(boxes) or 1,
        "items": list(parcel.items.order_by("pk")),
        "issued_on": timezone.localdate(parcel.packed_at)
        if parcel.packed_at
        else timezone.localdate(),
        "number": f"{parcel.reference}-{ParcelDocument.Kind(kind).value.upper()[:2]}",
    }

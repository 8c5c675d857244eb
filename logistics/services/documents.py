"""Parcel documents: requested by staff or the merchant, built on the `exports` queue, kept
until the parcel's data changes (cache by generation: `Parcel.documents_version`)."""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.documents.parcels import TEMPLATES, document_context, kinds_for
from logistics.exceptions import LogisticsError
from logistics.models import Parcel, ParcelDocument
from logistics.services.customs import documents_stale
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue
from procurement.core.pdf import pdf_language, render_pdf

logger = logging.getLogger(__name__)

__all__ = [
    "documents_stale",
    "parcel_document_build",
    "parcel_document_render",
    "parcel_document_request",
]

# Customs documents are read by carriers and customs officers: English, with the Chinese
# descriptions beside. The neutral packing slip speaks the merchant's language.
CUSTOMS_LANGUAGE = "en"


def document_language(kind: str, language: str) -> str:
    if kind == ParcelDocument.Kind.PACKING_SLIP:
        return pdf_language(language)
    return CUSTOMS_LANGUAGE


@transaction.atomic
def parcel_document_request(
    *, parcel: Parcel, kind: str, language: str = "en", retry: bool = False
) -> ParcelDocument:
    """The document, current or queued to be built: a current one is returned as it is, and so
    is one that failed on the same data (its error stands until the data changes or staff ask
    to `retry`)."""
    parcel = Parcel.objects.select_related("channel", "destination").get(pk=parcel.pk)
    if kind not in kinds_for(parcel):
        raise LogisticsError(_("This parcel has no such document."))
    document, created = ParcelDocument.objects.select_for_update().get_or_create(
        parcel=parcel,
        kind=kind,
        language=document_language(kind, language),
        defaults={"version": parcel.documents_version},
    )
    document.parcel = parcel
    if document.is_current:
        return document
    failed_as_is = (
        document.status == ParcelDocument.Status.FAILED
        and document.version == parcel.documents_version
    )
    if failed_as_is and not retry:
        return document
    if not created:
        if document.status == ParcelDocument.Status.QUEUED:
            if document.version != parcel.documents_version:
                document.version = parcel.documents_version
                document.save(update_fields=["version"])
            return document
        states.apply(
            document,
            to=ParcelDocument.Status.QUEUED,
            changes={"version": parcel.documents_version, "error": ""},
        )
    # The name matches the "*.export_*" route: built on the `exports` queue.
    outbox_enqueue(task="logistics.tasks.export_parcel_document", args=[document.pk])
    return document


def parcel_document_build(*, document_id: int) -> ParcelDocument:
    """Render a queued document. Never raises for a rendering error and never touches the
    parcel: the document records why it failed, for staff to read and request again."""
    document = ParcelDocument.objects.select_related("parcel").get(pk=document_id)
    if document.status != ParcelDocument.Status.QUEUED:
        return document  # a repeated delivery of a finished build
    version = document.parcel.documents_version
    try:
        pdf = render_pdf(
            template=TEMPLATES[document.kind],
            context=document_context(parcel=document.parcel, kind=document.kind),
            language=document.language,
        )
    except Exception as error:
        logger.exception("parcel document %s failed", document_id)
        message = error.message if isinstance(error, DomainError) else f"{error!r}"[:500]
        return _finish(
            document_id,
            to=ParcelDocument.Status.FAILED,
            changes={"error": str(message), "built_at": timezone.now()},
        )
    name = f"{document.parcel.reference}-{document.kind}-{document.language}.pdf"
    document.file.save(name, ContentFile(pdf), save=False)
    return _finish(
        document_id,
        to=ParcelDocument.Status.READY,
        changes={
            "file": document.file.name,
            "version": version,
            "error": "",
            "built_at": timezone.now(),
        },
    )


def parcel_document_render(*, parcel_id: int, kind: str, language: str = "en") -> bytes:
    """A parcel's document as PDF bytes, rendered now (store connections attach the neutral
    packing slip to a fulfilment; `parcel_customs_data` gives them the declaration)."""
    parcel = Parcel.objects.select_related("channel", "destination").get(pk=parcel_id)
    if kind not in kinds_for(parcel):
        raise LogisticsError(_("This parcel has no such document."))
    return render_pdf(
        template=TEMPLATES[kind],
        context=document_context(parcel=parcel, kind=kind),
        language=document_language(kind, language),
    )


def _finish(document_id: int, *, to: str, changes: dict) -> ParcelDocument:
    with transaction.atomic():
        document = ParcelDocument.objects.select_for_update().get(pk=document_id)
        if document.can_become(to):
            states.apply(document, to=to, changes=changes)
    return document

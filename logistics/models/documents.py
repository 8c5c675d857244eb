"""PDF documents of parcels (commercial invoice, packing list, CN23 content, packing slip),
built in the background and kept until the parcel's data changes."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from logistics.models.parcels import Parcel
from procurement.core.states import Stateful


class ParcelDocument(Stateful, models.Model):
    """One PDF of one parcel in one language. Cached by generation: it is current while its
    `version` equals the parcel's `documents_version`, which the services bump whenever what
    the documents print changes (declaration, boxes)."""

    class Kind(models.TextChoices):
        COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
        PACKING_LIST = "packing_list", _("Packing list")
        CN23 = "cn23", _("Customs declaration CN23")
        PACKING_SLIP = "packing_slip", _("Packing slip (neutral)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.QUEUED: frozenset({Status.READY, Status.FAILED}),
        Status.READY: frozenset({Status.QUEUED}),
        Status.FAILED: frozenset({Status.QUEUED}),
    }
    STATUS_EVENTS = None  # its error and times are its record

    parcel = models.ForeignKey(
        Parcel, verbose_name=_("parcel"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("document"), max_length=24, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=10)
    version = models.PositiveIntegerField(_("built from version"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    file = models.FileField(_("file"), upload_to="logistics/documents/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcel document")
        verbose_name_plural = _("parcel documents")
        ordering = ["parcel", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "kind", "language"], name="parceldocument_once_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parcel} {self.get_kind_display()} ({self.language})"

    @property
    def is_current(self) -> bool:
        return self.status == self.Status.READY and self.version == self.parcel.documents_version

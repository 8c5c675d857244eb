"""Settlement export jobs built in the background."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.core.states import Stateful


class ExportJob(Stateful, models.Model):
    """A report file built in the background (the `exports` queue) and kept for a while."""

    class Kind(models.TextChoices):
        SETTLEMENT_XLSX = "settlement_xlsx", _("Settlement report (XLSX)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.QUEUED: frozenset({Status.RUNNING}),
        # Back to the queue: its worker stopped answering (payments.exports.export_jobs_recover).
        Status.RUNNING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.QUEUED}),
        # Built again: after a failure, or once the file expired (the service checks which).
        Status.SUCCEEDED: frozenset({Status.QUEUED}),
        Status.FAILED: frozenset({Status.QUEUED}),
    }
    STATUS_EVENTS = None  # its attempts, error and times are its record

    kind = models.CharField(_("report"), max_length=24, choices=Kind.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to (inclusive)"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_written = models.PositiveBigIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="finance-exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # Written when a run starts and at each step of progress: a running job whose worker died
    # stops writing it, and housekeeping finds the job by its age.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="exportjob_progress_pct"),
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")), name="exportjob_range_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date_from} to {self.date_to}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

"""Abstract models every app builds on."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class StatusEvent(models.Model):
    """One change of a status, written by `procurement.core.states`: who, when, from, to and why.

    A subclass adds the foreign key to the object that changed (named by `subject`, with
    `related_name` equal to the object's `STATUS_EVENTS`) and `from_status` / `to_status` with
    the object's choices.
    """

    subject = ""  # the name of the foreign key to the object that changed

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.subject}_id')}: {self.from_status} → {self.to_status}"

"""The one state machine of the portal.

Every model whose `status` moves (orders, purchase orders and their lines, sourcing requests and
quotes, suppliers, top-ups, payables and payout batches, parcels, inbound parcels, FX quotes,
export jobs) derives from `Stateful` and declares its table of allowed moves:

    class Parcel(Stateful, TimeStampedModel):
        TRANSITIONS = {Status.DRAFT: frozenset({Status.REQUESTED, Status.CANCELLED}), ...}
        STATUS_EVENTS = "events"  # the related_name of its StatusEvent rows; None: no timeline

Services move it with `transition()` (lock, check, save, record) or, when they already hold the
row locked and change other fields with it, with `apply()`. Nothing else assigns `.status`; the
admin, the views and the API ask `available_statuses()` / `can_become()` which moves are open.

Chosen over django-fsm-2: the tables already existed as data, every move must lock the row with
`select_for_update()` inside the caller's transaction and write an event row in the same save,
and a protected FSM field cannot be reloaded with `refresh_from_db()` or re-read under lock,
which the services do constantly. One small function keeps all of that in view.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from procurement.core.exceptions import InvalidTransition


class Stateful(models.Model):
    """A model whose `status` moves only along `TRANSITIONS`."""

    TRANSITIONS: ClassVar[Mapping[str, frozenset[str]]] = {}
    # The reverse accessor of the model's StatusEvent rows (None: the model keeps no timeline).
    STATUS_EVENTS: ClassVar[str | None] = "events"

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Django gives each model a get_status_display() that rebuilds and hashes the whole
        # list of statuses, translating every label, on each call (an order list of 25 rows
        # translated 325 labels to show 25); Django keeps a method the class defines itself.
        if "get_status_display" not in cls.__dict__:
            cls.get_status_display = _status_display

    def available_statuses(self) -> frozenset[str]:
        """The statuses this object may move to from where it is now."""
        return self.TRANSITIONS.get(self.status, frozenset())

    def can_become(self, status: str) -> bool:
        return status in self.available_statuses()

    def refusal_message(self, to: str) -> str:
        """What a person reads when this object cannot move to `to` (a model may say it in its
        own words, e.g. naming its reference)."""
        labels = status_labels(type(self))
        return _("This %(object)s cannot go from “%(from)s” to “%(to)s”.") % {
            "object": self._meta.verbose_name,
            "from": labels.get(self.status, self.status),
            "to": labels.get(to, to),
        }


@cache
def status_labels(model: type[Stateful]) -> dict[str, Any]:
    """The model's statuses and their labels (translated when shown), read once."""
    return dict(model._meta.get_field("status").flatchoices)


def _status_display(self: Stateful) -> str:
    """The status's label in the active language (the status itself when it has none)."""
    return force_str(status_labels(type(self)).get(self.status, self.status), strings_only=True)


def _field_names(model: type[models.Model]) -> frozenset[str]:
    return frozenset(field.name for field in model._meta.concrete_fields)


def _person(actor):
    """Only a signed-in person is recorded as the actor; tasks and anonymous calls record None."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def lock[S: "Stateful"](obj: S) -> S:
    """The object's row again, locked until the end of the current transaction."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def refusal(obj: Stateful, to: str) -> InvalidTransition:
    """The error that says `obj` cannot move to `to`, in the words a person reads."""
    return InvalidTransition(obj.refusal_message(to))


def apply(
    obj: Stateful,
    *,
    to: str,
    actor=None,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
    event: Mapping[str, Any] | None = None,
):
    """Move `obj`, which the caller has locked in the current transaction, to status `to`.

    Checks the model's table (raising `InvalidTransition`, nothing written), sets `changes` with
    the status, saves only those fields (and `updated_at` / `status_changed_at` where the model
    has them) and writes one event row with `event` as extra fields. Returns the event row, or
    None for a model without a timeline.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A status transition must run inside a transaction holding the row.")
    if not obj.can_become(to):
        raise refusal(obj, to)
    from_status = obj.status
    fields = dict(changes or {})
    names = _field_names(type(obj))
    if "status_changed_at" in names:
        fields.setdefault("status_changed_at", timezone.now())
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.status = to
    update = ["status", *fields]
    if "updated_at" in names:
        update.append("updated_at")
    obj.save(update_fields=update)
    if obj.STATUS_EVENTS is None:
        return None
    return getattr(obj, obj.STATUS_EVENTS).create(
        from_status=from_status,
        to_status=to,
        actor=_person(actor),
        reason=reason,
        **(event or {}),
    )


@transaction.atomic
def transition[S: "Stateful"](
    obj: S,
    *,
    to: str,
    actor=None,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
) -> S:
    """Lock `obj`'s row, check its table, save and record: the guarded change of a status."""
    locked = lock(obj)
    apply(locked, to=to, actor=actor, reason=reason, changes=changes)
    return locked

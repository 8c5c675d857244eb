"""Turning opaque references ("order:12", "po:7", "supplier:3") into what a person reads.

A lower app knows a higher object only by such a reference (DESIGN.md, Layers), so the ledger,
payables and stock items store them. Nobody should read them: every page and export shows the
order number, the supplier's name, with a link where the viewer may follow it. Each app that
owns a kind of object registers one resolver for its prefix in its `AppConfig.ready()`; pages
resolve all the references they show in one call, one query per kind, never one per row.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import batched

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a merchant's company (links to its own objects only) or staff (admin)."""

    company_id: int | None = None
    staff: bool = False


@dataclass(frozen=True)
class Resolved:
    label: str
    url: str = ""

    def __str__(self) -> str:
        return self.label


# A resolver takes the primary keys of its kind and the viewer, and answers pk -> Resolved for
# those it found. It runs one query for all of them.
Resolver = Callable[[list[int], Viewer], dict[int, Resolved]]

_resolvers: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


def parse(reference: str) -> tuple[str, int] | None:
    kind, sep, key = (reference or "").partition(":")
    if not sep or not key.isdigit():
        return None
    return kind, int(key)


def _unresolved(reference: str) -> Resolved:
    """A reference whose object is gone (or whose kind nobody registered): said in words."""
    parsed = parse(reference)
    if parsed is None:
        return Resolved(reference)
    return Resolved(_("%(kind)s no. %(number)s") % {"kind": parsed[0], "number": parsed[1]})


def resolve_many(references: Iterable[str], viewer: Viewer) -> dict[str, Resolved]:
    """Every reference given, resolved: one query per kind present."""
    wanted: dict[str, set[int]] = defaultdict(set)
    given = {ref for ref in references if ref}
    for ref in given:
        parsed = parse(ref)
        if parsed and parsed[0] in _resolvers:
            wanted[parsed[0]].add(parsed[1])
    found: dict[str, Resolved] = {}
    for kind, pks in wanted.items():
        for pk, resolved in _resolvers[kind](sorted(pks), viewer).items():
            found[f"{kind}:{pk}"] = resolved
    return {ref: found.get(ref) or _unresolved(ref) for ref in given}


def resolve(reference: str, viewer: Viewer) -> Resolved:
    if not reference:
        return Resolved("")
    return resolve_many([reference], viewer)[reference]


def viewer_for(request) -> Viewer:
    """The viewer a request stands for: staff see everything, merchants their company."""
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    return Viewer(
        company_id=membership.company_id if membership else None,
        staff=bool(user and user.is_authenticated and user.is_staff),
    )


def model_resolver(
    model,
    *,
    label: Callable[[object], str],
    merchant_url: Callable[[object], str] | None = None,
    company_of: Callable[[object], int | None] | None = None,
    select_related: tuple[str, ...] = (),
) -> Resolver:
    """A resolver for one model: `label(obj)` is what a person reads; merchants get
    `merchant_url(obj)` for their own company's objects, staff the object's admin page."""

    def resolve_kind(pks: list[int], viewer: Viewer) -> dict[int, Resolved]:
        rows = model._default_manager.filter(pk__in=pks)
        if select_related:
            rows = rows.select_related(*select_related)
        admin_name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        answered = {}
        for obj in rows:
            url = ""
            if viewer.staff:
                try:
                    url = reverse(admin_name, args=[obj.pk])
                except NoReverseMatch:
                    url = ""
            owner = company_of(obj) if company_of else getattr(obj, "company_id", None)
            own = owner is not None and owner == viewer.company_id
            if not url and merchant_url is not None and own:
                url = merchant_url(obj)
            answered[obj.pk] = Resolved(label(obj), url)
        return answered

    return resolve_kind


def resolve_stream(
    items: Iterable, reference_of: Callable[[object], str], viewer: Viewer, *, batch: int = 1000
):
    """(item, Resolved) for a long stream (an export): one resolution per `batch` items."""
    for chunk in batched(items, batch, strict=False):
        names = resolve_many([reference_of(item) for item in chunk], viewer)
        for item in chunk:
            yield item, names.get(reference_of(item)) or Resolved("")

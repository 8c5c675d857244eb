"""Turning opaque references ("order:12", "po:7", "supplier:3") into what a person reads.

A lower app knows a higher object only by such a reference (DESIGN.md, Layers), so the ledger,
payables and stock items store them. Nobody should read them: every page and export shows the
order number, the supplier's name, with a link where the viewer may follow it. Each app that
owns a kind of object registers one resolver for its prefix in its `AppConfig.ready()`; pages
resolve all the references they show in one call, one query per kind, never one per row.

A label is written once, as a database expression over the object's own columns
(`model_resolver(label=...)`, built in the reader's language), so a page that resolves a few
references and an update that labels a million stored rows in one SQL statement per kind
(`label_updates()`) read the same words.

A row that must keep what its references read when it was written (a ledger transaction, a
supplier payable: records of what happened) stores them, in every language of the site, from
`labels_to_store()`; rows written before it had such a column get them from `label_updates()`;
readers see theirs through `stored_label()`.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import batched

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Expression, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import NoReverseMatch, reverse
from django.utils import translation
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
    if not sep or not (key.isascii() and key.isdigit()):
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


LabelExpression = Callable[[], Expression]
LABEL = "reference_label"  # the annotation that carries a label


def text(value: str) -> Value:
    return Value(value, output_field=CharField())


def pk_text(field: str = "pk") -> Cast:
    return Cast(field, output_field=CharField())


def sentence(message: str, **parts: Expression) -> Expression:
    """A translated message such as "%(po)s of order %(order)s" as one text expression: the
    words of the active language in their order, each placeholder replaced by its expression."""
    pieces: list[Expression] = []
    rest = message
    while rest:
        start = rest.find("%(")
        if start < 0:
            pieces.append(text(rest))
            break
        end = rest.index(")s", start)
        if start:
            pieces.append(text(rest[:start]))
        pieces.append(parts[rest[start + 2 : end]])
        rest = rest[end + 2 :]
    if len(pieces) == 1:
        return pieces[0]
    return Concat(*pieces, output_field=CharField())


@dataclass(frozen=True)
class ModelResolver:
    """A resolver for one model: `label()` is the expression of what a person reads; merchants
    get `merchant_url(obj)` for their own company's objects, staff the object's admin page."""

    model: type
    label: LabelExpression
    merchant_url: Callable[[object], str] | None = None
    company_of: Callable[[object], int | None] | None = None
    select_related: tuple[str, ...] = ()

    def labelled(self) -> QuerySet:
        return self.model._default_manager.annotate(**{LABEL: self.label()})

    def __call__(self, pks: list[int], viewer: Viewer) -> dict[int, Resolved]:
        model = self.model
        rows = self.labelled().filter(pk__in=pks)
        if self.select_related:
            rows = rows.select_related(*self.select_related)
        admin_name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        answered = {}
        merchant_url, company_of = self.merchant_url, self.company_of
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
            answered[obj.pk] = Resolved(getattr(obj, LABEL), url)
        return answered


def model_resolver(
    model,
    *,
    label: LabelExpression,
    merchant_url: Callable[[object], str] | None = None,
    company_of: Callable[[object], int | None] | None = None,
    select_related: tuple[str, ...] = (),
) -> ModelResolver:
    """The resolver of one model's references; `label` builds its label expression."""
    return ModelResolver(model, label, merchant_url, company_of, select_related)


def labels_many(references: Iterable[str]) -> dict[str, str]:
    """The label of each reference whose object exists, whoever looks (no links): one query per
    kind. An export's Python path; a reference not answered is left for the caller to show."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for ref in references:
        parsed = parse(ref)
        if parsed:
            wanted[parsed[0]].add(parsed[1])
    found: dict[str, str] = {}
    for kind, pks in wanted.items():
        resolver = _resolvers.get(kind)
        if not isinstance(resolver, ModelResolver):
            continue
        for pk, label in resolver.labelled().filter(pk__in=sorted(pks)).values_list("pk", LABEL):
            found[f"{kind}:{pk}"] = label
    return found


def label_languages() -> list[str]:
    """The languages a stored label is kept in: every language of the site."""
    return [code for code, _name in settings.LANGUAGES]


def label_language() -> str:
    """The language, as `label_languages` names it, whose stored label a reader sees now."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def labels_to_store(references: Iterable[str]) -> dict[str, dict[str, str]]:
    """`labels_many` in every language of the site, per reference ({"en": ..., "zh-hans": ...}):
    what a row keeps as written, so each reader sees what it read then, in their language. A
    reference naming no object is left out. One query per kind and language."""
    stored: dict[str, dict[str, str]] = defaultdict(dict)
    for language in label_languages():
        with translation.override(language):
            for reference, label in labels_many(references).items():
                stored[reference][language] = label
    return dict(stored)


def stored_label(labels: dict | str | None) -> str:
    """The label a row stored (`labels_to_store`) in the reader's language, else in the site's
    language, else "" (the caller shows the reference itself). `labels` as the ORM gives it, or
    as the JSON text a raw cursor reads."""
    if isinstance(labels, str):
        labels = json.loads(labels)
    if not labels:
        return ""
    return labels.get(label_language()) or labels.get(settings.LANGUAGE_CODE) or ""


def stored_label_sql(column: str, language: str, site_language: str) -> str:
    """`stored_label` in PostgreSQL: `column` a jsonb of stored labels, `language` and
    `site_language` the SQL of their codes (parameters)."""
    reader, site = f"{column} ->> {language}", f"{column} ->> {site_language}"
    return f"COALESCE(NULLIF({reader}, ''), NULLIF({site}, ''))"


# Per database: how one language's label is set in a JSON object column, and how a row that
# has none in that language yet is found.
_LABEL_SET = {
    "postgresql": "COALESCE({target}.{label}, '{{}}'::jsonb) || jsonb_build_object(%s::text, "
    "COALESCE(k.label_text, ''))",
    "sqlite": "json_set(COALESCE({target}.{label}, '{{}}'), '$.\"' || %s || '\"', "
    "COALESCE(k.label_text, ''))",
}
_LABEL_MISSING = {
    "postgresql": "({target}.{label} ->> %s::text) IS NULL",
    "sqlite": "json_extract({target}.{label}, '$.\"' || %s || '\"') IS NULL",
}
_LABEL_UPDATE = """UPDATE {target} SET {label} = {value} FROM ({labels}) k
 WHERE {target}.{reference} = %s || ':' || CAST(k.label_key AS TEXT) AND {missing}"""


def label_updates(
    table: str, *, label_column: str, reference_column: str
) -> Iterator[tuple[str, list]]:
    """Per language and registered kind, one `UPDATE ... FROM` (PostgreSQL and SQLite) that sets
    that language's entry of `label_column` (a JSON object, as `labels_to_store` gives it) for
    `table`'s rows by their `reference_column`: the label of the object the reference names
    exactly ("kind:pk" written back equals the reference). A label already stored stays as it
    was written; rows naming no object are left as they are."""
    quote = connection.ops.quote_name
    target, label, reference = quote(table), quote(label_column), quote(reference_column)
    value = _LABEL_SET[connection.vendor].format(target=target, label=label)
    missing = _LABEL_MISSING[connection.vendor].format(target=target, label=label)
    kinds = sorted(
        (kind, resolver)
        for kind, resolver in _resolvers.items()
        if isinstance(resolver, ModelResolver)
    )
    for language in label_languages():
        with translation.override(language):
            for kind, resolver in kinds:
                rows = resolver.labelled().order_by().values(label_key=F("pk"), label_text=F(LABEL))
                sql, params = rows.query.sql_with_params()
                update = _LABEL_UPDATE.format(
                    target=target,
                    label=label,
                    value=value,
                    reference=reference,
                    labels=sql,
                    missing=missing,
                )
                yield update, [language, *params, kind, language]


def resolve_stream(
    items: Iterable, reference_of: Callable[[object], str], viewer: Viewer, *, batch: int = 1000
):
    """(item, Resolved) for a long stream (an export): one resolution per `batch` items."""
    for chunk in batched(items, batch, strict=False):
        names = resolve_many([reference_of(item) for item in chunk], viewer)
        for item in chunk:
            yield item, names.get(reference_of(item)) or Resolved("")

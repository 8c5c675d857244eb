"""Showing opaque references ("order:1", "po:2") as names, with a link where one may follow.

    {% resolve_references postings "transaction.reference" as names %}
    {% reference names posting.transaction.reference %}

`resolve_references` resolves every reference on the page in one call (one query per kind);
`reference` shows one of them. See procurement/core/references.py.
"""

from django import template
from django.utils.html import format_html

from procurement.core import references

register = template.Library()


def _dig(item, path: str):
    for name in path.split("."):
        item = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if item is None:
            return None
    return item


@register.simple_tag(takes_context=True)
def resolve_references(context, items, *paths: str) -> dict:
    """Every reference found at `paths` (attribute paths; none for the items themselves) of
    `items`, looking inside lists and tuples."""
    wanted: list[str] = []

    def collect(value) -> None:
        if isinstance(value, list | tuple):
            for element in value:
                collect(element)
        elif isinstance(value, str) and references.parse(value):
            wanted.append(value)

    for item in items or ():
        for path in paths or ("",):
            collect(_dig(item, path) if path else item)
    return references.resolve_many(wanted, references.viewer_for(context.get("request")))


@register.simple_tag(takes_context=True)
def reference(context, resolved: dict | None, ref) -> str:
    """One reference as its name, linked when the viewer may follow it."""
    if not ref:
        return ""
    ref = str(ref)
    found = (resolved or {}).get(ref)
    if found is None:
        found = references.resolve(ref, references.viewer_for(context.get("request")))
    if found.url:
        return format_html('<a href="{}">{}</a>', found.url, found.label)
    return format_html("{}", found.label)

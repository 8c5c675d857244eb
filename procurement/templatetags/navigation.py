"""Small helpers for page navigation in templates."""

from django import template

register = template.Library()


@register.simple_tag
def crumbs(*labels_and_urls):
    """(label, url) pairs for partials/breadcrumbs.html.

    `{% crumbs _("Home") home_url _("Members") "" as crumbs %}`: arguments alternate label and
    url; the last pair is the current page (its url may be empty).
    """
    if len(labels_and_urls) % 2:
        raise template.TemplateSyntaxError("crumbs takes label, url pairs")
    items = list(labels_and_urls)
    return list(zip(items[::2], items[1::2], strict=True))

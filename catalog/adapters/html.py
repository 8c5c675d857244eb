"""Partner HTML made safe to show: nh3 (Ammonia) with a small allow-list.

1688 descriptions (`description`, `descriptionTrans`) are seller-written HTML: mostly `<p>`,
`<img>`, tables and inline styles, sometimes `<script>`, event handlers or `<map>` areas
linking back to 1688. Only structure, text, links and images survive; scripts, styles, event
handlers, forms and frames do not. Imports store the cleaned HTML and pages clean it again when
they render (staff may edit descriptions in the admin), so nothing reaches a page unsanitized.
"""

from __future__ import annotations

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "div", "em", "figure", "figcaption", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https"}


def sanitize_html(html: str | None) -> str:
    """The HTML with everything but the allow-list removed (never raises on bad markup)."""
    if not html:
        return ""
    return nh3.clean(
        str(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def description_html(text: str | None) -> SafeString:
    """A description ready for a template: plain text keeps its line breaks (escaped), HTML is
    sanitized."""
    if not text:
        return mark_safe("")  # nosec B308 B703 - empty
    if "<" not in text:
        return mark_safe(linebreaks(escape(text)))  # noqa: S308  # nosec B308 B703 - escaped
    return mark_safe(sanitize_html(text))  # noqa: S308  # nosec B308 B703 - nh3-cleaned

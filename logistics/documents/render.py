"""HTML to PDF with WeasyPrint. Documents carry their CSS inline and reference no URL, so
rendering never reaches the network; Chinese prints with Noto Sans CJK (Debian's
fonts-noto-cjk, installed by .ci/run)."""

from django.template.loader import render_to_string
from django.utils import translation

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", sans-serif'


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"documents reference no outside resource: {url}")


def render_pdf(*, template: str, context: dict, language: str) -> bytes:
    """The PDF of `template` rendered in `language` ("en", "zh-hans")."""
    from weasyprint import HTML  # imported here: loading Pango costs time at startup

    with translation.override(language):
        html = render_to_string(template, {**context, "font_stack": FONT_STACK, "lang": language})
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()

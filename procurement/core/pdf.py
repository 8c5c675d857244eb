"""PDF documents, one way for every app: HTML rendered from a template, printed by WeasyPrint,
kept in storage under a key that carries the generation of the data it shows.

Documents carry their CSS inline and reference no URL, so rendering never reaches the network.
Chinese prints with Noto Sans CJK (Debian's fonts-noto-cjk, installed by .ci/run). A cached file
is never recomputed to check it is fresh: its name holds the generation its data had (an event
id, a ledger transaction id, a version counter), so new data means a new name.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", sans-serif'
LANGUAGES = ("en", "zh-hans")


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"documents reference no outside resource: {url}")


def pdf_language(language: str | None) -> str:
    """The document language for a person's language: Simplified Chinese or English."""
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


def render_pdf(*, template: str, context: dict, language: str) -> bytes:
    """The PDF of `template` rendered in `language` ("en", "zh-hans")."""
    from weasyprint import HTML  # imported here: loading Pango costs time at startup

    with translation.override(language):
        html = render_to_string(template, {**context, "font_stack": FONT_STACK, "lang": language})
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def pdf_path(*, family: str, key: str, generation: str | int, language: str) -> str:
    return f"documents/{family}/{key}-g{generation}-{language}.pdf"


def pdf_cached(path: str) -> bool:
    return default_storage.exists(path)


def pdf_store(path: str, content: bytes) -> str:
    """Keep a built PDF under `path` (a repeat build of the same generation replaces it)."""
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(content))


def pdf_open(path: str):
    return default_storage.open(path, "rb")

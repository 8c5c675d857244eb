"""Sentences the portal writes down (a timeline's reasons) that each reader sees in their own
language.

A timeline row is written once, in whatever language the request or task runs in, and read later
by people who read English or Chinese. `phrase()` gives the sentence in the active language, as a
plain `str` that also remembers its message id and values; a status event saving it keeps those
beside the text (`StatusEvent.reason_key`), and `phrase_text()` renders it again in the reader's
language. Text that is not a phrase (what a person typed) stays as it was written.

makemessages finds the message ids through ``--keyword=phrase`` (the project's own
makemessages command adds it).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


class Phrase(str):
    """A sentence in the active language that remembers how to say it in another."""

    key: dict[str, Any]

    def __new__(cls, msgid: str, values: dict[str, Any]):
        text = gettext(msgid) % values if values else gettext(msgid)
        made = super().__new__(cls, text)
        made.key = {"msgid": msgid, "values": values}
        return made


def phrase(msgid: str, /, **values: Any) -> Phrase:
    """``gettext(msgid) % values``, remembered. Values are kept as text: a number, an amount or
    a name reads the same in every language; a value that must be translated is a phrase of
    its own, rendered in the writer's language."""
    return Phrase(msgid, {name: str(value) for name, value in values.items()})


def key_of(text: str) -> dict[str, Any]:
    """What a model keeps of a text so it can be rendered again: {} for plain text."""
    return text.key if isinstance(text, Phrase) else {}


def phrase_text(key: dict[str, Any] | None, written: str) -> str:
    """The sentence `key` describes in the active language, or `written` when there is no key or
    it no longer fits its translation (a placeholder renamed since)."""
    if not key or "msgid" not in key:
        return written
    values = key.get("values") or {}
    try:
        return gettext(key["msgid"]) % values if values else gettext(key["msgid"])
    except (KeyError, TypeError, ValueError):
        return written

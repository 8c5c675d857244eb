"""Quantities with their unit, plural-aware and translatable: "1 piece", "50 pieces"."""

from django.utils.translation import ngettext

# Literal strings, so makemessages finds each form; only the needed one is translated.
_FORMS = {
    "piece": lambda n: ngettext("%(n)s piece", "%(n)s pieces", n),
    "pair": lambda n: ngettext("%(n)s pair", "%(n)s pairs", n),
    "set": lambda n: ngettext("%(n)s set", "%(n)s sets", n),
    "box": lambda n: ngettext("%(n)s box", "%(n)s boxes", n),
    "metre": lambda n: ngettext("%(n)s metre", "%(n)s metres", n),
    "kg": lambda n: ngettext("%(n)s kg", "%(n)s kg", n),
    "roll": lambda n: ngettext("%(n)s roll", "%(n)s rolls", n),
    "dozen": lambda n: ngettext("%(n)s dozen", "%(n)s dozen", n),
}


def quantity_with_unit(n: int, unit: str) -> str:
    form = _FORMS.get(unit)
    return (form(n) if form else "%(n)s") % {"n": n}

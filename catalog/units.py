"""Units: quantities with their unit ("1 piece", "50 bottles") and 1688's units mapped to ours.

1688 states an offer's unit as a Chinese measure word (`productSaleInfo.unitInfo.unit` in
`product.search.queryProductDetail`, `saleInfo.unit` in `alibaba.product.get`), with a
translation beside it (`unitInfo.transUnit`). `portal_unit()` maps the common ones to the
portal's units; an unknown one maps to `other`, and the importer keeps the word as given.
"""

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
    "bottle": lambda n: ngettext("%(n)s bottle", "%(n)s bottles", n),
    "bag": lambda n: ngettext("%(n)s bag", "%(n)s bags", n),
    "pack": lambda n: ngettext("%(n)s pack", "%(n)s packs", n),
    "barrel": lambda n: ngettext("%(n)s barrel", "%(n)s barrels", n),
}

# Chinese measure words (量词) as 1688 sellers use them, and the English words a translated
# `transUnit` or an English-language offer may carry. Several measure words count single
# items of different shapes (本 a book, 块 a block, 根 a stick, 片 a sheet, 粒 a grain):
# we sell those by the piece.
UNIT_WORDS = {
    "piece": ("件", "个", "只", "支", "条", "张", "台", "把", "顶", "本", "块", "根", "片", "粒",
              "枚", "颗", "面", "盏", "辆", "部", "piece", "pieces", "pcs", "pc"),
    "pair": ("双", "对", "副", "pair", "pairs"),
    "set": ("套", "组", "set", "sets"),
    "box": ("盒", "箱", "box", "boxes", "carton"),
    "metre": ("米", "metre", "meter", "metres", "meters", "m"),
    "kg": ("千克", "公斤", "kg", "kilogram", "kilograms"),
    "roll": ("卷", "roll", "rolls"),
    "dozen": ("打", "dozen"),
    "bottle": ("瓶", "bottle", "bottles"),
    "bag": ("袋", "bag", "bags"),
    "pack": ("包", "pack", "packs", "packet", "packets"),
    "barrel": ("桶", "barrel", "barrels", "bucket", "buckets"),
}  # fmt: skip
_BY_WORD = {word: unit for unit, words in UNIT_WORDS.items() for word in words}

OTHER = "other"


def portal_unit(word: str | None) -> str:
    """The portal unit for a 1688 unit word ("瓶" -> "bottle"); `other` when we have none."""
    return _BY_WORD.get((word or "").strip().lower(), OTHER)


def quantity_with_unit(n: int, unit: str) -> str:
    form = _FORMS.get(unit)
    return (form(n) if form else "%(n)s") % {"n": n}

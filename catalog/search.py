"""Catalog search: the words of a query matched independently, in the titles and in the names
of the categories.

A query is split into words: at spaces, and Chinese runs into words by jieba (Chinese is
written without spaces: 蓝牙耳机 is 蓝牙 + 耳机). Every word must match the product, in either
of two ways:

- its title: on PostgreSQL, English words by full-text search on `title_en` (stemmed: "mugs"
  finds "mug") and Chinese words by the bigrams of `title_zh` (`ChineseBigrams`, below);
  on SQLite, a case-insensitive contains on either title;
- its category: a word naming a category ("earphones", 杯子) finds every product of that
  category and below, whatever their titles say. Categories are few and already in memory
  (`selectors.category_tree`), so this is a list of ids, served by the category indexes.

Chinese on PostgreSQL: a trigram index cannot serve a two-character word (most Chinese words
are two characters), so `title_zh` is indexed by its overlapping bigrams as a `tsvector`
(migration 0010): 保温杯 is 保温 温杯 杯. A word of two or more characters is the phrase of its
bigrams (保温 <-> 温杯), a single character the prefix of one (杯:*). Both are index lookups.
"""

from __future__ import annotations

import logging
import re
from functools import reduce
from operator import and_

from django.db import connection
from django.db.models import F, FloatField, Func, Q, QuerySet, Value

MAX_WORDS = 8
# Latin words shorter than this do not name a category ("a", "of", "3").
MIN_CATEGORY_WORD = 3
# Words that say nothing about a product: they name no category, and SQLite does not look
# for them in titles (PostgreSQL's English configuration drops them itself).
STOP_WORDS = frozenset(
    {"a", "an", "and", "all", "by", "for", "from", "in", "of", "on", "or", "other", "the",
     "to", "with"}
)  # fmt: skip

_CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHAR}]")
_CJK_RUN = re.compile(f"[{_CJK_CHAR}]+")
_LATIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _jieba():
    import jieba

    # jieba announces loading its dictionary on the root logger's level otherwise.
    jieba.setLogLevel(logging.WARNING)
    return jieba


def query_words(query: str) -> list[str]:
    """The query's words, in order, each once: Chinese runs segmented by jieba, the rest
    split at anything that is not a letter or digit ("usb-c" stays whole for PostgreSQL's
    parser, which splits it the same way in titles)."""
    words: list[str] = []
    for chunk in query.split():
        if not has_cjk(chunk):
            if any(ch.isalnum() for ch in chunk):
                words.append(chunk.lower())
            continue
        position = 0
        for run in _CJK_RUN.finditer(chunk):
            words += [w.lower() for w in _LATIN_WORD.findall(chunk[position : run.start()])]
            words += [w for w in _jieba().lcut(run.group(), HMM=False) if w.strip()]
            position = run.end()
        words += [w.lower() for w in _LATIN_WORD.findall(chunk[position:])]
    unique = list(dict.fromkeys(words))
    return unique[:MAX_WORDS]


# --- categories named by a word -------------------------------------------------------------


def _forms(word: str) -> set[str]:
    """Enough English to compare a word with category names: "cups" and "cup",
    "boxes" and "box", "batteries" and "battery" share a form."""
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return {form for form in forms if len(form) >= MIN_CATEGORY_WORD}


def category_ids_named(word: str, tree) -> list[int]:
    """Ids of the categories (and everything below them) whose name holds `word`: a Chinese
    word inside the Chinese name, a Latin word as one of the English name's words."""
    named = []
    if has_cjk(word):
        named = [c for c in tree.nodes.values() if c.name_zh and word in c.name_zh]
    elif len(word) >= MIN_CATEGORY_WORD and word not in STOP_WORDS:
        forms = _forms(word)
        for category in tree.nodes.values():
            for name_word in _LATIN_WORD.findall(category.name_en.lower()):
                if forms & _forms(name_word):
                    named.append(category)
                    break
    ids: set[int] = set()
    for category in named:
        ids.update(tree.descendant_ids(category))
    return sorted(ids)


# --- PostgreSQL expressions, spelled exactly as their indexes -------------------------------


class EnglishTitleVector(Func):
    """`to_tsvector('english', title_en)` spelled exactly as the GIN index of migration 0002,
    so PostgreSQL can use that index."""

    template = "to_tsvector('english'::regconfig, %(expressions)s)"

    def __init__(self, **extra):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(F("title_en"), output_field=SearchVectorField(), **extra)


class ChineseBigrams(Func):
    """`catalog_zh_bigrams(title_zh)`: the Chinese title's overlapping bigrams as a
    `tsvector`, the expression of the GIN index of migration 0010."""

    template = "catalog_zh_bigrams(%(expressions)s)"

    def __init__(self, **extra):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(F("title_zh"), output_field=SearchVectorField(), **extra)


def _raw_simple_query(text: str):
    """`to_tsquery('simple', text)`, for a query built by `chinese_tsquery`."""
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(text, config="simple", search_type="raw")


def chinese_tsquery(word: str) -> str:
    """A Chinese word as a query on `catalog_zh_bigrams`: the phrase of its bigrams, or a
    single character as the prefix of one. Only CJK characters reach the query text."""
    chars = "".join(_CJK_RUN.findall(word))
    if len(chars) == 1:
        return f"{chars}:*"
    return " <-> ".join(chars[i : i + 2] for i in range(len(chars) - 1))


def _title_condition_postgres(word: str) -> Q:
    from django.contrib.postgres.search import SearchQuery

    if has_cjk(word):
        return Q(zh_bigrams=_raw_simple_query(chinese_tsquery(word)))
    return Q(fts=SearchQuery(word, config="english", search_type="plain"))


def _title_condition_sqlite(word: str) -> Q:
    return Q(title_en__icontains=word) | Q(title_zh__icontains=word)


# --- the search -----------------------------------------------------------------------------


def search_products(qs: QuerySet, query: str, *, tree=None) -> QuerySet:
    """Products matching every word of `query`, annotated with `rank` (higher is better).

    `tree`: the category tree (`selectors.category_tree`), for words that name a category;
    read here when not given. PostgreSQL: when the words find nothing, trigram word
    similarity on the whole query, which forgives typos ("bluetoth"). (An OR of both would
    make the trigram index check every product sharing a few letters with a common word.)
    """
    query = query.strip()
    words = query_words(query)
    if not words:
        return qs.annotate(rank=Value(0.0, output_field=FloatField()))
    if tree is None:
        from catalog.selectors import category_tree

        tree = category_tree()
    postgres = connection.vendor == "postgresql"
    title_condition = _title_condition_postgres if postgres else _title_condition_sqlite

    conditions, plain = [], []
    for word in words:
        if ids := category_ids_named(word, tree):
            conditions.append(title_condition(word) | Q(category_id__in=ids))
        elif postgres and not has_cjk(word):
            plain.append(word)
        elif word in STOP_WORDS:
            continue
        else:
            conditions.append(title_condition(word))
    if plain:
        # One query for the English words that name no category: PostgreSQL drops its stop
        # words ("for", "with"), which alone would match nothing.
        conditions.append(title_condition(" ".join(plain)))
    if not conditions:  # nothing but stop words
        return qs.none().annotate(rank=Value(0.0, output_field=FloatField()))
    exact = reduce(and_, conditions)
    if not postgres:
        return qs.filter(exact).annotate(rank=Value(0.0, output_field=FloatField()))

    qs = qs.alias(fts=EnglishTitleVector(), zh_bigrams=ChineseBigrams())
    matched = qs.filter(exact)
    if not matched.order_by().exists():
        matched = qs.filter(_fuzzy_condition(query))
    return matched.annotate(rank=_rank(query, words))


def _fuzzy_condition(query: str) -> Q:
    field = "title_zh" if has_cjk(query) else "title_en"
    return Q(**{f"{field}__trigram_word_similar": query})


def _rank(query: str, words: list[str]):
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    latin = [w for w in words if not has_cjk(w)]
    chinese = [w for w in words if has_cjk(w)]
    parts = []
    if latin:
        ts_query = SearchQuery(" ".join(latin), config="english", search_type="plain")
        parts.append(SearchRank(EnglishTitleVector(), ts_query))
        parts.append(TrigramWordSimilarity(" ".join(latin), "title_en"))
    if chinese:
        ts_query = _raw_simple_query(" | ".join(f"({chinese_tsquery(w)})" for w in chinese))
        parts.append(SearchRank(ChineseBigrams(), ts_query))
    return reduce(lambda a, b: a + b, parts) if len(parts) > 1 else parts[0]


__all__ = [
    "ChineseBigrams",
    "EnglishTitleVector",
    "category_ids_named",
    "chinese_tsquery",
    "has_cjk",
    "query_words",
    "search_products",
]

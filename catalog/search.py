"""Catalog search: the words of a query matched independently, in the titles and in the names
of the categories.

A query is split into words: at spaces, and Chinese runs into words by jieba (Chinese is
written without spaces: 蓝牙耳机 is 蓝牙 + 耳机). Every word must match the product, in its
title or in the name of its category or a category above it ("earphones" and 杯子 find every
product of those categories, whatever their titles say).

PostgreSQL: each product's words are one search row (`catalog.models.ProductSearch`, kept by
the triggers of migration 0016): English stemmed ("mugs" finds "mug"), Chinese as every
character and pair of neighbouring characters (保温杯: 保 保温 温 温杯 杯), so a Chinese word is
its pairs and a single character itself, and a query of any words is one lookup in one GIN
index per 500,000 products (the rows are partitioned by product id, migration 0017, so that a
page's candidates are read from the first partitions that hold enough: `partitions_in_turn`).
A word that no row holds is corrected against the vocabulary before the search (`_probe`,
`corrected_words`). Ranking is left to the caller, over a bounded set of candidates
(`selectors.product_listing`).

SQLite: a case-insensitive contains on either title, or the ids of the categories a word
names (`category_ids_named`; categories are few and already in memory).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db import connection, connections, router, transaction
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Value

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


def segmenter_load() -> None:
    """Load jieba's dictionary now (about two seconds) rather than on the first Chinese
    query a served process meets, which would otherwise wait for it."""
    _jieba().initialize()


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


# --- PostgreSQL: the search rows (catalog.models.search) ----------------------------------


def chinese_tsquery(word: str) -> str:
    """A Chinese word as a query on the search rows, which hold every character and every pair
    of neighbouring characters of the titles and category names: a single character is that
    lexeme, a longer word all of its pairs. Only CJK characters reach the query text."""
    chars = "".join(_CJK_RUN.findall(word))
    if len(chars) == 1:
        return f"'{chars}'"
    return " & ".join(dict.fromkeys(f"'{chars[i : i + 2]}'" for i in range(len(chars) - 1)))


def search_tsquery(words: list[str]):
    """The words as one query on `ProductSearch.document`: English words stemmed (PostgreSQL
    drops its own stop words), Chinese words by `chinese_tsquery`; every word must match.
    None when no word is left to look for."""
    from django.contrib.postgres.search import SearchQuery

    latin = [w for w in words if not has_cjk(w) and w not in STOP_WORDS]
    chinese = [chinese_tsquery(w) for w in words if has_cjk(w)]
    parts = []
    if latin:
        parts.append(SearchQuery(" ".join(latin), config="english", search_type="plain"))
    if chinese:
        text = " & ".join(f"({q})" for q in chinese)
        parts.append(SearchQuery(text, config="simple", search_type="raw"))
    return reduce(and_, parts) if parts else None


@dataclass(frozen=True)
class Match:
    """What a search keeps: the matching products and the score that orders them, as an
    expression that any product queryset can annotate (the words it looked for are `words`,
    after correction)."""

    products: QuerySet
    rank: object
    words: tuple[str, ...]
    # Whether the words are common (PROBE_COMMON matches among the first PROBE_ROWS rows): a
    # page in a column's order then meets its matches soon by walking that column's index; a
    # rarer query is better gathered from the search index and sorted.
    common: bool = False
    # PostgreSQL: the matching search rows (`ProductSearch`), by the same condition as
    # `products`; None on SQLite, which has none.
    rows: QuerySet | None = None


def search_match(qs: QuerySet, query: str, *, tree=None) -> Match:
    """Products of `qs` matching every word of `query`, and how to rank them.

    PostgreSQL: one GIN lookup in the search rows (titles and category names together). Words
    that no search row holds are corrected against the vocabulary first (`_probe`, as
    `corrected_words` does: "bluetoth" becomes "bluetooth", a word like no other is left out).
    SQLite: each word in either title or naming a category (`category_ids_named`), without
    ranking.
    """
    words = query_words(query.strip())
    zero = Value(0.0, output_field=FloatField())
    if not words:
        return Match(qs, zero, ())
    if connection.vendor != "postgresql":
        return Match(_match_sqlite(qs, words, tree), zero, tuple(words))
    tsquery = search_tsquery(words)
    if tsquery is None:  # nothing but stop words
        return Match(qs.none(), zero, ())
    from catalog.models import ProductSearch

    walk = False
    probe = _probe(words)
    common = probe.common
    if not all(probe.held):
        words = _corrections(words, probe.held, probe.near)
        tsquery = search_tsquery(words) if words else None
        if tsquery is None:
            return Match(qs.none(), zero, ())
    elif common and len(words) > 1:
        # The planner multiplies the words' frequencies, while words of one kind of product
        # ("yoga mat", "stainless steel") come together: it would have the index gather every
        # match before the first row (62,500 for "yoga mat", growing with the catalog), where
        # reading rows until enough match stops after a few thousand. `ts_match_vq` is `@@`
        # spelled so that the index does not apply. (One word it estimates well.)
        walk = True

    def matching(document: str) -> Q:
        if walk:
            return Q(
                Func(F(document), tsquery, function="ts_match_vq", output_field=BooleanField())
            )
        return Q(**{document: tsquery})

    matched = qs.filter(matching("search_row__document"))
    rows = ProductSearch.objects.filter(matching("document"))
    return Match(matched, _rank(tsquery), tuple(words), common=common, rows=rows)


# Rows read, in storage order, to tell a common query from a rare one; PROBE_COMMON matches
# among them (5%) means RELEVANCE_CANDIDATES matches lie within some 5,000 rows. Below that,
# gathering the matches from the index was faster (measured on the seeded million).
PROBE_ROWS = 2000
PROBE_COMMON = 100


@dataclass(frozen=True)
class Probe:
    """What the first search rows and the index tell of a query's words (`_probe`)."""

    # PROBE_COMMON rows or more among the first PROBE_ROWS hold every word.
    common: bool
    # Per word, in order: whether some search row holds it. A word that none holds is the only
    # kind the correction changes.
    held: list[bool]
    # Per word that none of the first rows holds (by position): its neighbours in the
    # vocabulary, for the correction.
    near: dict[int, list[str]]


def _probe(words: list[str]) -> Probe:
    """How common the query is, which of its words some search row holds, and the neighbours
    of the others: one statement when each word is among the first PROBE_ROWS search rows, two
    otherwise.

    The first statement counts the first rows that hold all the words and, only when none
    does, tells which words some of them hold (`_first_rows`). A match among them shows that
    every word is in the catalog: nothing to correct, and the index lookup, as long as the
    page's own (5 ms for three common words on the seeded million), is left to the page's query
    instead of being made twice. The words none of those rows holds are then looked up in the
    index with their neighbours in the vocabulary (`_held_in_index`). Whether a product of the
    listing matches all the words together is not asked: the answer would change nothing, as
    only a word that no row holds is ever corrected."""
    tsquery, params = _tsquery_sql(words)
    lookups = [_word_tsquery(word) for word in words]
    head, held = _first_rows(lookups, together=(tsquery, params))
    if head:
        return Probe(common=head >= PROBE_COMMON, held=held, near={})
    held, near = _held_in_index(words, lookups, held)
    return Probe(common=False, held=held, near=near)


# The search rows that match, as a MATERIALIZED CTE: planned for all its rows, so that the
# planner takes the GIN index for words it takes to be rare. `EXISTS` over the same condition
# is planned for its first row, and with no statistics on a word (one no row holds, which is
# what a typo is) the planner expects 0.1% of the rows to match and reads the table in order
# until one does: every row, 0.9 s at 5,000,000 products, for each such word. Read through the
# CTE, the index answers in under a millisecond. Only words that none of the first rows holds
# are looked up so: for a common word the CTE's plan is a scan of the whole table, which
# PostgreSQL would stop at the first match but costs as a whole, and past `jit_above_cost`
# compiles the query first (10-40 ms).
_INDEXED = "SELECT product_id FROM catalog_productsearch WHERE document @@ ({tsquery})"


def _tsquery_sql(words: list[str]) -> tuple[str, list[str]]:
    """The tsquery of `words` as SQL and its parameters: the English words stemmed, the
    Chinese ones as their characters and pairs."""
    latin = " ".join(w for w in words if not has_cjk(w) and w not in STOP_WORDS)
    chinese = " & ".join(f"({chinese_tsquery(w)})" for w in words if has_cjk(w))
    parts, params = [], []
    if latin:
        parts.append("plainto_tsquery('english'::regconfig, %s)")
        params.append(latin)
    if chinese:
        parts.append("to_tsquery('simple'::regconfig, %s)")
        params.append(chinese)
    return " && ".join(parts), params


def _rank(tsquery):
    from django.contrib.postgres.search import SearchRank

    return SearchRank(F("search_row__document"), tsquery)


def search_products(qs: QuerySet, query: str, *, tree=None) -> QuerySet:
    """Products matching every word of `query`, annotated with `rank` (higher is better).

    `tree`: the category tree (`selectors.category_tree`), for words that name a category on
    SQLite; read there when not given (PostgreSQL finds category names in the search rows).
    """
    match = search_match(qs, query, tree=tree)
    return match.products.annotate(rank=match.rank)


def _match_sqlite(qs: QuerySet, words: list[str], tree) -> QuerySet:
    if tree is None:
        from catalog.selectors import category_tree

        tree = category_tree()
    conditions = []
    for word in words:
        title = Q(title_en__icontains=word) | Q(title_zh__icontains=word)
        if ids := category_ids_named(word, tree):
            conditions.append(title | Q(category_id__in=ids))
        elif word not in STOP_WORDS:
            conditions.append(title)
    if not conditions:  # nothing but stop words
        return qs.none()
    return qs.filter(reduce(and_, conditions))


@contextmanager
def partitions_in_turn(using: str) -> Iterator[None]:
    """Queries inside read the search rows' partitions one after the other, in this process.

    The candidates of a relevance page are the first matches of the partitions in turn
    (migration 0017): the first partitions usually hold enough and the others are never read.
    A parallel plan would hand the partitions to workers at once and read them all (PostgreSQL
    chooses one for a few million rows), and on a web server's cores the workers only take
    turns with the other requests. So these queries run in a transaction that allows none."""
    if connections[using].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


# --- typos ------------------------------------------------------------------------------------

# A word is corrected to a vocabulary word at most this many edits away.
MAX_EDITS = 2
MIN_CORRECTED_WORD = 3


def corrected_words(words: list[str]) -> list[str]:
    """`words` with every word that no search row holds corrected to the nearest English word
    of the vocabulary (fewest edits, then most trigrams in common), or left out when none is
    near; words that some row holds stay.

    At most two queries: which words the first PROBE_ROWS search rows hold, all the words in
    one pass over those rows (`_first_rows`); then, for the others only, whether the search
    rows' index holds them and their neighbours by the vocabulary's trigram index (a few
    thousand words, not a million titles)."""
    if not words:
        return []
    lookups = [_word_tsquery(word) for word in words]
    _head, held = _first_rows(lookups)
    return _corrections(words, *_held_in_index(words, lookups, held))


def _corrections(words: list[str], held: list[bool], near: dict[int, list[str]]) -> list[str]:
    """`words` with each that no row holds (`held`) replaced by its nearest neighbour in
    `near` within MAX_EDITS, or left out."""
    corrected = []
    for i, word in enumerate(words):
        if held[i]:
            corrected.append(word)
            continue
        best = min(near.get(i, ()), key=lambda w: edit_distance(word, w), default=None)
        if best is not None and edit_distance(word, best) <= MAX_EDITS:
            corrected.append(best)
    return list(dict.fromkeys(corrected))


# The first PROBE_ROWS search rows, in storage order.
_FIRST_ROWS = "SELECT document FROM catalog_productsearch LIMIT %s"


def _first_rows(
    lookups: list[tuple[str, list[str]]], *, together: tuple[str, list[str]] | None = None
) -> tuple[int, list[bool]]:
    """How many of the first PROBE_ROWS search rows hold every word (`together`: the query's
    tsquery as SQL and its parameters; 0 without it) and, when none does, per word (its
    tsquery by `_word_tsquery`), whether one of them holds it. One statement; the words are
    checked in one more pass over those rows, made only when the count is 0 (a pass per word
    cost a millisecond or two each, and asking every search cost 1-2 ms). A word with no lexeme
    left (a stop word) counts as held, even in an empty table: the search ignores it."""
    tsqueries, params = [], []
    if together is not None:
        tsqueries.append(f"{together[0]} AS every_word")
        params += together[1]
        head = (
            f"LATERAL (SELECT count(*) AS n FROM ({_FIRST_ROWS}) AS r "  # noqa: S608  # nosec B608
            "WHERE r.document @@ q.every_word) AS h"
        )
    else:
        head = "(SELECT 0 AS n) AS h"
    flags = []
    for i, (tsquery, term) in enumerate(lookups):
        tsqueries.append(f"{tsquery} AS w{i}")
        params += term
        flags.append(
            f"coalesce(bool_or(numnode(q.w{i}) = 0 OR r.document @@ q.w{i}), numnode(q.w{i}) = 0)"
        )
    # A CASE runs its subquery only for the branch taken. Only fixed fragments are joined;
    # every value is a parameter.
    sql = (
        f"SELECT h.n, CASE WHEN h.n = 0 THEN (SELECT ARRAY[{', '.join(flags)}] "  # noqa: S608  # nosec B608
        f"FROM ({_FIRST_ROWS}) AS r) END "
        f"FROM (SELECT {', '.join(tsqueries)}) AS q CROSS JOIN {head}"
    )
    limits = [PROBE_ROWS] if together is not None else []
    with _search_cursor() as cursor:
        cursor.execute(sql, [PROBE_ROWS, *params, *limits])
        n, held = cursor.fetchone()
    return n, [True] * len(lookups) if n else list(held)


def _held_in_index(
    words: list[str], lookups: list[tuple[str, list[str]]], held: list[bool]
) -> tuple[list[bool], dict[int, list[str]]]:
    """(`held` with the words it does not hold (by `_first_rows`) looked up in the search
    rows' index, the neighbours in the vocabulary of those words by position (English words
    only)). One query, none when every word is held.

    One SELECT per word, its values spelled as constants: the planner then knows each word's
    frequency (a lateral lookup with the word as a parameter could scan every row). The index
    is read through `_INDEXED`, never `EXISTS` on the table, which reads every row for a word
    that none holds."""
    selects, params = [], []
    for i, word in enumerate(words):
        if held[i]:
            continue
        tsquery, term = lookups[i]
        found = f"WITH found AS MATERIALIZED ({_INDEXED.format(tsquery=tsquery)})"
        if has_cjk(word):
            neighbours, near_params = "ARRAY[]::text[]", []
        else:
            neighbours = (
                "ARRAY(SELECT v.word FROM catalog_searchword v "
                "WHERE char_length(%s) >= %s AND v.word %% %s "
                "ORDER BY similarity(v.word, %s) DESC, v.word LIMIT 8)"
            )
            near_params = [word, MIN_CORRECTED_WORD, word, word]
        # Only fixed fragments are joined; every value is a parameter.
        selects.append(
            f"({found} SELECT %s::int, EXISTS (SELECT 1 FROM found), {neighbours})"  # noqa: S608  # nosec B608
        )
        params += [*term, i, *near_params]
    if not selects:
        return held, {}
    held, near = list(held), {}
    with _search_cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for i, exists, neighbours in cursor.fetchall():
            held[i] = exists
            near[i] = neighbours
    return held, near


def _search_cursor():
    """A cursor on the database the search rows are read from: the replica when the request
    reads from one (`procurement.core.replica`), like the page's own query."""
    from catalog.models import ProductSearch

    return connections[router.db_for_read(ProductSearch)].cursor()


def _word_tsquery(word: str) -> tuple[str, list[str]]:
    """One word's tsquery as SQL and its parameters, as the search rows hold it: English
    stemmed, Chinese as its characters and pairs."""
    if has_cjk(word):
        return "to_tsquery('simple'::regconfig, %s)", [chinese_tsquery(word)]
    return "plainto_tsquery('english'::regconfig, %s)", [word]


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that make `a` into `b`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            row.append(best)
        previous2, previous = previous, row
    return previous[-1]


__all__ = [
    "Match",
    "category_ids_named",
    "chinese_tsquery",
    "corrected_words",
    "edit_distance",
    "has_cjk",
    "partitions_in_turn",
    "query_words",
    "search_match",
    "search_products",
    "search_tsquery",
    "segmenter_load",
]

"""Search on PostgreSQL: the search rows the database keeps, one GIN lookup for any words, and
typos corrected against the vocabulary (SQLite falls back to a plain contains)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product, ProductSearch, SearchWord
from catalog.search import corrected_words
from catalog.selectors import ProductFilters, Sort, product_listing, search_products
from tests.catalog.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def titles(query, sort=Sort.RELEVANCE):
    return [p.title_en for p in product_listing(ProductFilters(query=query, sort=sort))]


def lexemes(product) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(document) FROM catalog_productsearch WHERE product_id = %s",
            [product.pk],
        )
        return set(cursor.fetchone()[0])


@pytest.fixture
def products():
    ProductFactory(title_en="Ceramic coffee mug 350 ml", title_zh="陶瓷咖啡马克杯 350ml")
    ProductFactory(title_en="Wireless Bluetooth earbuds", title_zh="无线蓝牙耳机 带充电仓")
    ProductFactory(title_en="Portable Bluetooth speaker", title_zh="便携防水蓝牙音箱")
    ProductFactory(title_en="Stainless steel frying pan", title_zh="不锈钢煎锅")


def test_english_full_text_with_stemming(products):
    assert titles("mugs") == ["Ceramic coffee mug 350 ml"]
    assert set(titles("bluetooth")) == {"Wireless Bluetooth earbuds", "Portable Bluetooth speaker"}
    assert titles("frying pans") == ["Stainless steel frying pan"]


def test_typos_are_corrected_against_the_vocabulary(products):
    assert titles("ceramik") == ["Ceramic coffee mug 350 ml"]
    assert titles("bluetoth earbuds") == ["Wireless Bluetooth earbuds"]
    assert titles("stainles stel") == ["Stainless steel frying pan"]
    assert titles("zzqx") == []


def test_a_word_like_no_other_is_left_out(products):
    assert corrected_words(["earbuds", "qwxyz"]) == ["earbuds"]
    assert corrected_words(["ceramik", "杯"]) == ["ceramic", "杯"]
    assert titles("earbuds qwxyz") == ["Wireless Bluetooth earbuds"]


def test_correction_reads_the_first_rows_once_for_all_the_words(products):
    """Which words the first rows hold is one pass over them, whatever the number of words; the
    index and the vocabulary are asked only about the others, in one more statement."""
    with CaptureQueriesContext(connection) as queries:
        corrected = corrected_words(["ceramik", "coffee", "mug", "earbds", "蓝牙"])
    assert corrected == ["ceramic", "coffee", "mug", "earbuds", "蓝牙"]
    assert len(queries) == 2
    first, rest = (q["sql"] for q in queries.captured_queries)
    assert first.count("FROM catalog_productsearch LIMIT") == 1
    assert "catalog_searchword" not in first
    # Only the two mistyped words are looked up and corrected.
    assert rest.count("AS MATERIALIZED") == rest.count("catalog_searchword") == 2

    with CaptureQueriesContext(connection) as known:
        assert corrected_words(["coffee", "蓝牙", "the"]) == ["coffee", "蓝牙", "the"]
    assert len(known) == 1


def test_correction_keeps_stop_words_and_words_held_beyond_the_first_rows(products, monkeypatch):
    import catalog.search

    assert corrected_words(["the", "ceramik"]) == ["the", "ceramic"]
    monkeypatch.setattr(catalog.search, "PROBE_ROWS", 0)  # as if the first rows held nothing
    assert corrected_words(["ceramic", "speakr", "扬声"]) == ["ceramic", "speaker"]


def test_correction_with_no_search_rows_at_all():
    assert corrected_words(["the", "ceramik", "杯"]) == ["the"]
    assert corrected_words([]) == []


def test_the_words_are_checked_one_by_one_only_when_no_first_row_holds_them_all(products):
    """The per-word pass over the first rows sits in a CASE branch: a query whose words some
    first row holds together does not pay for it."""
    from catalog.search import _probe

    def plan_of_probe(words):
        with CaptureQueriesContext(connection) as queries:
            _probe(words)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {queries[0]['sql']}")
            return [line for (line,) in cursor.fetchall()]

    def per_word_pass(plan):
        # The CASE's subquery is the one aggregate over the first rows with bool_or.
        return [line for line in plan if "Aggregate" in line and "SubPlan" not in line]

    together = plan_of_probe(["bluetooth", "speaker"])
    assert any("never executed" in line for line in per_word_pass(together)), together
    apart = plan_of_probe(["ceramic", "earbuds"])
    assert not any("never executed" in line for line in per_word_pass(apart)), apart


def test_the_vocabulary_holds_the_words_of_titles_and_category_names(products):
    CategoryFactory(name_en="Yoga Mats", slug="yoga-mats")
    ProductFactory(title_en="Foldable exercise mat", category=CategoryFactory(name_en="Fitness"))
    words = set(SearchWord.objects.values_list("word", flat=True))

    assert {"ceramic", "bluetooth", "foldable", "exercise", "fitness"} <= words
    assert not {w for w in words if w[0].isdigit()}


def test_chinese_titles_match_substrings(products):
    assert set(titles("蓝牙")) == {"Wireless Bluetooth earbuds", "Portable Bluetooth speaker"}
    assert titles("马克杯") == ["Ceramic coffee mug 350 ml"]
    assert titles("蓝牙耳机") == ["Wireless Bluetooth earbuds"]


def test_two_character_chinese_words_and_single_characters(products):
    ProductFactory(title_en="Insulated tumbler", title_zh="不锈钢保温杯子 500ml")

    assert titles("杯子") == ["Insulated tumbler"]
    assert set(titles("杯")) == {"Ceramic coffee mug 350 ml", "Insulated tumbler"}
    # Segmented into 蓝牙 + 音箱, each found where it is in the title.
    assert titles("蓝牙音箱") == ["Portable Bluetooth speaker"]
    assert titles("防水音箱") == ["Portable Bluetooth speaker"]


def test_chinese_is_split_into_characters_and_pairs_when_written():
    """jieba would cut 保温杯子 into 保温杯 + 子 and lose 杯子: the row holds every pair."""
    product = ProductFactory(title_en="Insulated tumbler", title_zh="保温杯子 500ml")

    assert {"保", "保温", "温", "温杯", "杯", "杯子", "子"} <= lexemes(product)
    assert "insul" in lexemes(product)  # English stemmed


def test_english_words_are_matched_independently_and_stop_words_ignored(products):
    assert titles("earbuds bluetooth") == ["Wireless Bluetooth earbuds"]
    assert titles("speaker for bluetooth") == ["Portable Bluetooth speaker"]


def test_relevance_puts_the_best_match_first(products):
    ProductFactory(title_en="Bluetooth earbuds case cover")

    assert titles("wireless bluetooth earbuds")[0] == "Wireless Bluetooth earbuds"


def test_category_names_find_their_products_and_titles_rank_first():
    audio = CategoryFactory(name_en="Audio", name_zh="影音", slug="audio")
    earphones = CategoryFactory(name_en="Earphones", name_zh="耳机", slug="earphones", parent=audio)
    cups = CategoryFactory(name_en="Mugs & Cups", name_zh="杯子", slug="mugs-cups")
    ProductFactory(category=earphones, title_en="Wireless earbuds", title_zh="无线入耳式")
    ProductFactory(category=audio, title_en="Bluetooth speaker", title_zh="蓝牙音箱")
    ProductFactory(category=cups, title_en="Glass tumbler", title_zh="玻璃随行杯")
    ProductFactory(category=earphones, title_en="Earphones with bluetooth", title_zh="蓝牙")

    assert titles("earphones") == ["Earphones with bluetooth", "Wireless earbuds"]
    assert titles("earphones bluetooth") == ["Earphones with bluetooth"]
    assert set(titles("audio")) == {
        "Wireless earbuds",
        "Bluetooth speaker",
        "Earphones with bluetooth",
    }
    assert titles("杯子") == ["Glass tumbler"]
    assert set(titles("影音 蓝牙")) == {"Earphones with bluetooth", "Bluetooth speaker"}


def test_the_search_row_follows_the_title_and_the_category():
    home = CategoryFactory(name_en="Home", name_zh="家居", slug="home")
    camping = CategoryFactory(name_en="Camping", name_zh="露营", slug="camping")
    product = ProductFactory(category=home, title_en="Ceramic mug", title_zh="陶瓷杯")
    assert ProductSearch.objects.filter(product=product).exists()

    product.title_en = "Enamel mug"
    product.title_zh = "搪瓷杯"
    product.category = camping
    product.save()

    assert titles("enamel") == ["Enamel mug"]
    assert titles("ceramic") == []
    assert titles("搪瓷") == ["Enamel mug"]
    assert titles("陶瓷") == []
    assert titles("camping") == ["Enamel mug"]
    assert titles("home") == []


def test_renaming_or_moving_a_category_rewrites_its_products_rows():
    outdoor = CategoryFactory(name_en="Outdoor", name_zh="户外", slug="outdoor")
    tents = CategoryFactory(name_en="Tents", name_zh="帐篷", slug="tents", parent=outdoor)
    ProductFactory(category=tents, title_en="Dome for four", title_zh="四人圆顶")

    outdoor.name_en = "Camping"
    outdoor.name_zh = "露营"
    outdoor.save()
    assert titles("camping") == ["Dome for four"]
    assert titles("露营") == ["Dome for four"]
    assert titles("outdoor") == []

    garden = CategoryFactory(name_en="Garden", slug="garden")
    tents.parent = garden
    tents.save()
    assert titles("garden") == ["Dome for four"]
    assert titles("camping") == []


def test_queryset_updates_and_bulk_creates_keep_rows_too():
    cups = CategoryFactory(name_en="Cups", slug="cups")
    supplier = ProductFactory(category=cups).supplier
    Product.objects.bulk_create(
        [
            Product(supplier=supplier, category=cups, title_en=f"Bulk tumbler {n}", title_zh="杯")
            for n in range(3)
        ]
    )
    Product.objects.filter(title_en="Bulk tumbler 0").update(title_en="Bulk flask 0")

    assert ProductSearch.objects.count() == Product.objects.count()
    assert titles("flask") == ["Bulk flask 0"]
    assert len(titles("tumbler")) == 2


def test_deleting_a_product_deletes_its_row():
    product = ProductFactory()
    product.delete()

    assert not ProductSearch.objects.exists()


def test_search_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename IN ('catalog_product', 'catalog_productsearch', 'catalog_searchword')"
        )
        names = {row[0] for row in cursor.fetchall()}

    assert {
        "catalog_productsearch_document",
        "catalog_searchword_trgm",
        "catalog_product_title_en_trgm",
        "catalog_product_title_zh_trgm",
    } <= names
    assert not {"catalog_product_title_en_fts", "catalog_product_title_zh_bigrams"} & names


@pytest.mark.parametrize("query", ["bluetooth", "蓝牙耳机", "杯", "耳机 bluetooth", "mugs"])
def test_any_words_are_one_lookup_in_each_partitions_index(products, query):
    """With 4 rows the planner would rather scan (or walk a primary key), so both are switched
    off to show that each partition's one index serves the whole query."""
    qs = search_products(Product.objects.order_by(), query).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        try:
            plan = qs.explain()
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_indexscan")

    # One lookup in each partition's index (migration 0017): the first million, the next,
    # and the DEFAULT partition.
    assert plan.count("Bitmap Index Scan on catalog_productsearch_") == 3
    assert plan.count("_document_idx") == 3
    assert "Seq Scan" not in plan


def test_a_common_query_reads_rows_instead_of_gathering_every_match(products, monkeypatch):
    """Words that come together ("frying pan") fool the planner's estimate: a query found often
    among the first rows reads rows until enough match, and finds the same products."""
    import catalog.search

    ProductFactory(title_en="Cast iron frying pan", title_zh="铸铁煎锅")
    rare = titles("frying pans")
    monkeypatch.setattr(catalog.search, "PROBE_COMMON", 1)
    qs = search_products(Product.objects.order_by(), "frying pans").order_by()

    assert "ts_match_vq" in str(qs.query)
    assert (
        set(titles("frying pans"))
        == set(rare)
        == {
            "Stainless steel frying pan",
            "Cast iron frying pan",
        }
    )
    assert "ts_match_vq" not in str(search_products(Product.objects.all(), "frying").query)


def test_a_rare_search_in_a_column_order_is_gathered_from_the_search_index(monkeypatch):
    """Two words that seldom meet: the page sorts the matches it gathers from the search index
    instead of walking the price index (a second at a million products); the order, the
    cursor's next page and a common query's walk are as before."""
    from decimal import Decimal

    import catalog.search
    from catalog.selectors import paginate

    for n, price in enumerate(["30", "10", "20", "10", "99"]):
        ProductFactory(title_en=f"Wireless wok {n}", min_price_cny=Decimal(price))
    ProductFactory(title_en="Wireless speaker", min_price_cny=Decimal("1"))
    ProductFactory(title_en="Iron wok", min_price_cny=Decimal("2"))

    qs = product_listing(ProductFilters(query="wireless wok", sort=Sort.PRICE_ASC))
    sql = str(qs.query)
    assert '("catalog_product"."min_price_cny" + 0) ASC' in sql
    first = paginate(qs, sort=Sort.PRICE_ASC, size=3)
    rest = paginate(qs, sort=Sort.PRICE_ASC, after=first.next_cursor, size=3)
    shown = [p.title_en for p in first.items + rest.items]
    assert shown == ["Wireless wok 1", "Wireless wok 3", "Wireless wok 2", "Wireless wok 0",
                     "Wireless wok 4"]  # fmt: skip
    assert rest.next_cursor is None
    newest = product_listing(ProductFilters(query="wireless wok", sort=Sort.NEWEST))
    assert [p.title_en for p in newest] == [f"Wireless wok {n}" for n in (4, 3, 2, 1, 0)]

    # One word, and common words, keep the column's own order (and its index).
    assert "+ 0" not in str(product_listing(ProductFilters(query="wok", sort=Sort.PRICE_ASC)).query)
    monkeypatch.setattr(catalog.search, "PROBE_COMMON", 1)
    common = product_listing(ProductFilters(query="wireless wok", sort=Sort.PRICE_ASC))
    assert "+ 0" not in str(common.query)
    assert [p.title_en for p in common][:2] == ["Wireless wok 1", "Wireless wok 3"]


def test_the_probe_leaves_the_index_lookup_to_the_page_when_the_first_rows_match(products):
    """A match among the first rows shows every word is known: the probe does not look the
    words up in the index a second time (the page's own query does)."""
    from catalog.search import _probe, search_match

    with CaptureQueriesContext(connection) as queries:
        known = _probe(["bluetooth", "speaker"])
    assert (known.common, known.held, known.near) == (False, [True, True], {})
    assert len(queries) == 1
    typo = _probe(["zzzz", "speaker"])
    assert (typo.common, typo.held) == (False, [False, True])
    assert list(typo.near) == [0]
    # Known words are searched for as they are, even where these filters leave no product.
    assert search_match(Product.objects.filter(pk=-1), "bluetooth").words == ("bluetooth",)


def test_known_words_that_no_product_holds_together_are_not_corrected(products):
    """Each word is in the catalog, none of its products has both: nothing to correct, no
    lookup of the words together before the page's own query (which finds nothing)."""
    from catalog.search import search_match

    with CaptureQueriesContext(connection) as queries:
        match = search_match(Product.objects.all(), "ceramic earbuds")
    assert match.words == ("ceramic", "earbuds")
    assert len(queries) == 1
    assert list(match.products) == []


def test_words_no_row_holds_are_looked_up_in_the_index_never_by_reading_the_table(products):
    """A typo is a word that no search row holds, and PostgreSQL keeps no statistics on it: it
    takes it to match 0.1% of the rows, so `EXISTS (... WHERE document @@ ...)` reads the table
    in order until a row matches, which for such a word is every row (0.9 s per word at
    5,000,000 products, 4.8 s for a search with a typo). Words none of the first rows holds are
    looked up through a MATERIALIZED CTE, planned for all its rows, where the GIN index serves
    (under a millisecond); the answers are the same. Words the first rows hold are not looked
    up again: the CTE of a common word costs as a scan of the whole table, enough for
    PostgreSQL to compile the query first."""
    with CaptureQueriesContext(connection) as typos:
        assert (
            titles("bluetoth speakr")
            == titles("bluetooth speaker")
            == ["Portable Bluetooth speaker"]
        )
        assert titles("qwertyx") == []
    with CaptureQueriesContext(connection) as known:
        assert len(titles("bluetooth")) == 2

    def lookups(ctx):
        return [q["sql"] for q in ctx.captured_queries if "catalog_productsearch" in q["sql"]]

    indexed = [sql for sql in lookups(typos) if "AS MATERIALIZED" in sql]
    # One for each of the two mistyped searches: the lookup of the words none of the first
    # rows holds, which is all the correction needs.
    assert len(indexed) == 2
    # One statement a search reads the first rows: its matches counted and, when none matches,
    # which of its words they hold, all the words in one more pass.
    first_rows = [sql for sql in lookups(typos) if "FROM catalog_productsearch LIMIT" in sql]
    assert len(first_rows) == 3
    assert all(sql.count("FROM catalog_productsearch LIMIT") == 2 for sql in first_rows)
    for sql in indexed:
        assert "WITH found AS MATERIALIZED (SELECT product_id FROM catalog_productsearch" in sql
    for sql in lookups(typos) + lookups(known):
        assert "EXISTS (SELECT 1 FROM catalog_productsearch" not in sql
        assert "EXISTS(SELECT 1 FROM catalog_productsearch" not in sql
    assert not [sql for sql in lookups(known) if "AS MATERIALIZED" in sql]


def test_seeding_writes_search_rows_through_copy():
    """Seeding writes products with COPY; the insert trigger fills their rows per batch."""
    from catalog.seeding import seed_catalog

    seed_catalog(products=30, suppliers=3, batch_size=10)

    assert ProductSearch.objects.count() == Product.objects.count() == 30
    product = Product.objects.order_by("pk").first()
    assert product.title_zh[:2] in lexemes(product)
    assert SearchWord.objects.filter(word="model").exists()

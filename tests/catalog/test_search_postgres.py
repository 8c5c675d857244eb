"""Full-text and trigram search: PostgreSQL only (SQLite falls back to a plain contains)."""

import pytest
from django.db import connection

from catalog.models import Product
from catalog.selectors import ProductFilters, Sort, product_listing, search_products
from tests.catalog.factories import ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def titles(query, sort=Sort.RELEVANCE):
    return [p.title_en for p in product_listing(ProductFilters(query=query, sort=sort))]


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


def test_typos_match_by_trigram_similarity(products):
    assert "Ceramic coffee mug 350 ml" in titles("ceramik")
    assert "Wireless Bluetooth earbuds" in titles("bluetoth earbuds")


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


def test_english_words_are_matched_independently_and_stop_words_ignored(products):
    assert titles("earbuds bluetooth") == ["Wireless Bluetooth earbuds"]
    assert titles("speaker for bluetooth") == ["Portable Bluetooth speaker"]


def test_relevance_puts_the_best_match_first(products):
    ProductFactory(title_en="Bluetooth earbuds case cover")

    assert titles("wireless bluetooth earbuds")[0] == "Wireless Bluetooth earbuds"


def test_search_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_product'")
        names = {row[0] for row in cursor.fetchall()}

    assert {
        "catalog_product_title_en_fts",
        "catalog_product_title_en_trgm",
        "catalog_product_title_zh_trgm",
        "catalog_product_title_zh_bigrams",
    } <= names


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("bluetooth", "catalog_product_title_en_fts"),
        ("bluetoth", "catalog_product_title_en_trgm"),
        ("蓝牙耳机", "catalog_product_title_zh_bigrams"),
        ("杯", "catalog_product_title_zh_bigrams"),
        ("耳机 bluetooth", "catalog_product_title_"),
    ],
)
def test_search_conditions_can_use_their_indexes(products, query, index):
    """The query spells each expression as its index does (with 4 rows the planner would
    rather scan, so sequential scans are switched off to show the index is usable)."""
    qs = search_products(Product.objects.order_by(), query).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = qs.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")

    assert index in plan
    assert "Seq Scan" not in plan


def test_a_million_rows_would_not_be_scanned_for_a_category_word(products):
    """A word naming a category is an OR of the title index and the category index: the
    plan reads both indexes, never the whole table."""
    from catalog.search import search_products as search
    from tests.catalog.factories import CategoryFactory

    cups = CategoryFactory(name_en="Mugs & Cups", name_zh="杯子", slug="cups")
    ProductFactory(category=cups, title_en="Glass tumbler", title_zh="玻璃随行杯")
    qs = search(Product.objects.order_by(), "杯子").order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = qs.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")

    assert "Seq Scan" not in plan
    assert "catalog_product_title_zh_bigrams" in plan
    assert [p.title_en for p in qs] == ["Glass tumbler"]

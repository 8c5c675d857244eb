"""Catalog search on both databases: every word matched on its own, in the titles or in the
names of the categories (PostgreSQL's index-backed conditions: test_search_postgres.py)."""

import pytest
from django.urls import reverse

from catalog.search import category_ids_named, chinese_tsquery, edit_distance, query_words
from catalog.selectors import category_tree
from tests.catalog.factories import CategoryFactory, ProductFactory, fx_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves():
    home = CategoryFactory(slug="home", name_en="Home", name_zh="家居")
    cups = CategoryFactory(slug="mugs-cups", name_en="Mugs & Cups", name_zh="杯子", parent=home)
    audio = CategoryFactory(slug="audio", name_en="Audio", name_zh="音频")
    earphones = CategoryFactory(slug="earphones", name_en="Earphones", name_zh="耳机", parent=audio)
    ProductFactory(category=cups, title_en="Ceramic coffee mug", title_zh="陶瓷咖啡马克杯")
    ProductFactory(category=cups, title_en="Glass tea cup", title_zh="双层玻璃茶杯")
    ProductFactory(
        category=earphones, title_en="Wireless Bluetooth earbuds", title_zh="无线蓝牙耳机"
    )
    ProductFactory(category=audio, title_en="Portable Bluetooth speaker", title_zh="蓝牙音箱")
    fx_rate("USD", "0.1400")
    return cups, earphones


def found(client, query) -> str:
    response = client.get(reverse("catalog:search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_query_words_split_spaces_and_segment_chinese():
    assert query_words("earphones  Bluetooth") == ["earphones", "bluetooth"]
    assert query_words("蓝牙耳机") == ["蓝牙", "耳机"]
    assert query_words("USB蓝牙 蓝牙") == ["usb", "蓝牙"]
    assert query_words("  ") == []


def test_chinese_words_become_their_characters_pairs():
    assert chinese_tsquery("杯") == "'杯'"
    assert chinese_tsquery("杯子") == "'杯子'"
    assert chinese_tsquery("保温杯") == "'保温' & '温杯'"


def test_edit_distance_counts_a_swap_as_one_edit():
    assert edit_distance("obsidain", "obsidian") == 1
    assert edit_distance("ceramik", "ceramic") == 1
    assert edit_distance("yogga", "yoga") == 1
    assert edit_distance("mug", "tent") == 4


def test_words_name_categories_and_everything_below_them(shelves):
    cups, earphones = shelves
    tree = category_tree()

    assert category_ids_named("杯子", tree) == [cups.pk]
    assert category_ids_named("cups", tree) == [cups.pk]
    assert category_ids_named("earphone", tree) == [earphones.pk]
    assert earphones.pk in category_ids_named("audio", tree)
    assert category_ids_named("and", tree) == []


def test_a_chinese_category_name_finds_its_products(owner_client, shelves):
    page = found(owner_client, "杯子")

    # Neither title holds 杯子: the category does.
    assert "陶瓷咖啡马克杯" in page or "Ceramic coffee mug" in page
    assert "Glass tea cup" in page
    assert "Bluetooth" not in page


def test_english_words_are_matched_independently(owner_client, shelves):
    page = found(owner_client, "earphones bluetooth")

    assert "Wireless Bluetooth earbuds" in page
    # In Audio but not in Earphones, and "earphones" is not in its title.
    assert "Portable Bluetooth speaker" not in page


def test_segmented_chinese_words_are_matched_independently(owner_client, shelves):
    page = found(owner_client, "蓝牙耳机")

    assert "Wireless Bluetooth earbuds" in page
    assert "Portable Bluetooth speaker" not in page


def test_words_that_say_nothing_are_not_required(owner_client, shelves):
    page = found(owner_client, "speaker for bluetooth")

    assert "Portable Bluetooth speaker" in page

"""Chinese everywhere a merchant reads: the product's title and its variants in the page's
language, through one accessor, in the catalog, the cart, checkout and orders."""

import pytest
from django.urls import reverse
from django.utils import translation

from catalog.templatetags.catalog_tags import line_title, product_title, variant_label
from orders import services as order_services
from orders.models import OrderLine
from tests.catalog.factories import SkuFactory
from tests.orders.factories import paid_order, product_with_skus, seed_rates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after():
    """A request in Chinese leaves Chinese active in this thread: later tests expect English."""
    yield
    translation.activate("en")


def attribute(name_zh, value_zh, name_en, value_en):
    return {
        "name": name_zh,
        "value": value_zh,
        "trans": {"en": {"name": name_en, "value": value_en}},
    }


@pytest.fixture
def mug():
    seed_rates()
    product, _skus = product_with_skus(skus=0)
    product.title_en = "Ceramic coffee mug"
    product.title_zh = "陶瓷咖啡马克杯"
    product.save()
    skus = []
    for colour_en, colour_zh in (("White", "白色"), ("Black", "黑色")):
        for size in ("M", "L"):
            skus.append(
                SkuFactory(
                    product=product,
                    attributes={"Colour": colour_en, "Size": size},
                    attribute_list=[
                        attribute("颜色", colour_zh, "Colour", colour_en),
                        attribute("尺码", size, "Size", size),
                    ],
                )
            )
    return product, skus


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_one_accessor_names_products_variants_and_lines(mug):
    product, skus = mug
    line = OrderLine(product=product, sku=skus[0], description="Ceramic coffee mug — White / M")
    sourced = OrderLine(description="Custom tote bag, printed")

    with translation.override("zh-hans"):
        assert product_title(product) == "陶瓷咖啡马克杯"
        assert variant_label(skus[0]) == "白色 / M"
        assert line_title(line) == "陶瓷咖啡马克杯 — 白色 / M"
        assert line_title(sourced) == "Custom tote bag, printed"
    with translation.override("en"):
        assert line_title(line) == "Ceramic coffee mug — White / M"


def test_the_product_page_names_the_variant_matrix_in_chinese(client, owner, mug):
    product, _skus = mug
    client.force_login(owner)

    page = zh(client).get(reverse("catalog:product", args=[product.pk])).content.decode()

    assert "颜色 \\ 尺码" in page
    assert "白色" in page
    assert "Colour" not in page
    assert "White" not in page


def test_cart_checkout_and_order_show_the_chinese_title(client, owner, company, mug):
    product, skus = mug
    client.force_login(owner)
    zh(client)
    order = paid_order(owner, company, (product, {skus[0]: 20}))
    order_services.cart_add(user=owner, company=company, product=product, quantities={skus[1]: 20})

    cart = client.get(reverse("orders:cart")).content.decode()
    checkout = client.get(reverse("orders:checkout")).content.decode()
    detail = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()

    for page in (cart, checkout, detail):
        assert "陶瓷咖啡马克杯" in page
        assert "Ceramic coffee mug" not in page
    assert "白色 / L" in cart
    assert "陶瓷咖啡马克杯 — 白色 / M" in detail


def test_order_detail_reads_titles_without_a_query_per_line(
    client, owner, company, mug, django_assert_max_num_queries
):
    product, skus = mug
    client.force_login(owner)
    one = paid_order(owner, company, (product, {skus[0]: 20}))
    many = paid_order(owner, company, (product, {sku: 20 for sku in skus}))

    with django_assert_max_num_queries(60) as few:
        client.get(reverse("orders:order-detail", args=[one.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("orders:order-detail", args=[many.pk]))


def test_country_names_follow_the_language(client, owner):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    page = zh(client).get(reverse("accounts:company-create")).content.decode()

    assert "德国" in page
    assert ">Germany<" not in page


def test_supplier_names_in_the_page_language_with_the_original_beside(client, owner, mug):
    product, _skus = mug
    supplier = product.supplier
    supplier.name_en = "Yiwu Chenguang Daily Goods Co., Ltd."
    supplier.name_zh = "义乌市晨光日用品有限公司"
    supplier.save()
    client.force_login(owner)

    english = client.get(reverse("catalog:product", args=[product.pk])).content.decode()
    chinese = zh(client).get(reverse("catalog:product", args=[product.pk])).content.decode()

    card = english.split('id="supplier-title"', 1)[1]
    assert card.index("Yiwu Chenguang") < card.index("义乌市晨光")
    card = chinese.split('id="supplier-title"', 1)[1]
    assert card.index("义乌市晨光") < card.index("Yiwu Chenguang")

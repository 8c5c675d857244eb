from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from catalog.models import Supplier
from catalog.services import category_counts_refresh
from procurement.accounts.models import Role
from procurement.core.caching import page_cache
from tests.catalog.factories import CategoryFactory, ProductFactory, SkuFactory, fx_rate
from tests.services import BrokenCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    root = CategoryFactory(slug="home", name_en="Home")
    mid = CategoryFactory(slug="kitchen", name_en="Kitchen", parent=root)
    leaf = CategoryFactory(slug="mugs", name_en="Mugs", parent=mid)
    other = CategoryFactory(slug="plates", name_en="Plates", parent=mid)
    return root, mid, leaf, other


@pytest.fixture
def usd():
    return fx_rate("USD", "0.1400")


def test_catalog_pages_are_public(client, tree):
    # Visitors browse the catalog (tests/catalog/test_public_catalog.py); ordering needs a member.
    response = client.get(reverse("catalog:index"))

    assert response.status_code == 200


def test_index_shows_the_three_level_tree_with_counts(owner_client, tree):
    _root, _mid, leaf, _other = tree
    ProductFactory.create_batch(2, category=leaf)
    category_counts_refresh()

    page = owner_client.get(reverse("catalog:index"))

    assert page.status_code == 200
    html = page.content.decode()
    for category in tree:
        assert reverse("catalog:category", args=[category.slug]) in html
    assert "Mugs</a>\n" in html or "Mugs</a>" in html
    assert "(2)" in html


def test_category_page_lists_products_of_its_subtree_in_merchant_currency(owner_client, tree, usd):
    _root, _mid, leaf, other = tree
    mug = ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10.00"))
    plate = ProductFactory(category=other, title_en="Flat plate")

    page = owner_client.get(reverse("catalog:category", args=["kitchen"]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Blue mug" in html
    assert "Flat plate" in html
    assert "1.40 USD" in html  # 10 CNY at 0.14
    assert "¥10.00" in html
    assert 'aria-current="page">Kitchen' in html  # breadcrumbs
    leaf_page = owner_client.get(reverse("catalog:category", args=["mugs"])).content.decode()
    assert mug.title_en in leaf_page
    assert plate.title_en not in leaf_page


def test_unknown_category_is_404(owner_client):
    assert owner_client.get(reverse("catalog:category", args=["nope"])).status_code == 404


@pytest.mark.parametrize(
    "status",
    [Supplier.Status.APPLIED, Supplier.Status.UNDER_REVIEW, Supplier.Status.REJECTED,
     Supplier.Status.SUSPENDED],
)  # fmt: skip
def test_only_approved_suppliers_products_are_visible(owner_client, tree, usd, status):
    leaf = tree[2]
    hidden = ProductFactory(category=leaf, title_en="Hidden kettle", supplier__status=status)
    inactive = ProductFactory(category=leaf, title_en="Retired kettle", is_active=False)
    shown = ProductFactory(category=leaf, title_en="Shown kettle")

    listing = owner_client.get(reverse("catalog:category", args=["mugs"])).content.decode()
    found = owner_client.get(reverse("catalog:search"), {"q": "kettle"}).content.decode()

    assert "Shown kettle" in listing
    assert "Shown kettle" in found
    for text in (listing, found):
        assert "Hidden kettle" not in text
        assert "Retired kettle" not in text
    assert owner_client.get(reverse("catalog:product", args=[shown.pk])).status_code == 200
    assert owner_client.get(reverse("catalog:product", args=[hidden.pk])).status_code == 404
    assert owner_client.get(reverse("catalog:product", args=[inactive.pk])).status_code == 404


def test_search_matches_english_and_chinese_titles(owner_client, tree, usd):
    ProductFactory(category=tree[2], title_en="Ceramic coffee mug", title_zh="陶瓷咖啡杯")
    ProductFactory(category=tree[2], title_en="Steel pan", title_zh="不锈钢锅")

    english = owner_client.get(reverse("catalog:search"), {"q": "coffee"}).content.decode()
    chinese = owner_client.get(reverse("catalog:search"), {"q": "陶瓷"}).content.decode()

    assert "Ceramic coffee mug" in english
    assert "Steel pan" not in english
    assert "Ceramic coffee mug" in chinese
    assert "Steel pan" not in chinese


def test_no_results_page_helps(owner_client, tree, usd):
    page = owner_client.get(reverse("catalog:search"), {"q": "zzqx"}).content.decode()

    assert "No products match" in page
    assert "Check the spelling" in page
    assert "Request a quote" in page


def test_filters_price_moq_stock_province_rating(owner_client, tree, usd):
    leaf = tree[2]
    cheap = ProductFactory(category=leaf, title_en="Cheap", base_price=Decimal("5.00"), moq=500)
    dear = ProductFactory(category=leaf, title_en="Dear", base_price=Decimal("50.00"), moq=5)
    ProductFactory(category=leaf, title_en="Empty", in_stock=False, base_price=Decimal("7.00"))
    far = ProductFactory(
        category=leaf, title_en="Far", supplier__province="sichuan", supplier__rating=Decimal("4.8")
    )
    url = reverse("catalog:category", args=["mugs"])

    def titles(**params):
        page_cache.clear()  # the same query twice must run twice
        response = owner_client.get(url, params)
        return {p.title_en for p in response.context["page"].items}

    # 1 USD buys 1/0.14 = 7.14 CNY; under 1 USD means under about 7.14 CNY
    assert titles(max_price="1") == {"Cheap", "Empty"} | (
        {"Far"} if far.min_price_cny <= Decimal("7.15") else set()
    )
    assert "Dear" in titles(min_price="5")
    assert "Cheap" not in titles(min_price="5")
    assert titles(max_moq="10") >= {"Dear"}
    assert "Cheap" not in titles(max_moq="10")
    assert "Empty" not in titles(in_stock="on")
    assert titles(province="sichuan") == {"Far"}
    assert titles(min_rating="4.5") == {"Far"}
    assert cheap
    assert dear


def test_sorts_and_keyset_pages(owner_client, tree, usd):
    leaf = tree[2]
    prices = [Decimal(p) for p in ("3.00", "1.00", "2.00", "5.00", "4.00")]
    for i, price in enumerate(prices):
        ProductFactory(category=leaf, title_en=f"P{i}", base_price=price, moq=10 * (5 - i))
    url = reverse("catalog:category", args=["mugs"])

    def ordered(sort, **extra):
        response = owner_client.get(url, {"sort": sort, **extra})
        return [p.min_price_cny for p in response.context["page"].items], response

    asc, _r = ordered("price")
    desc, _r = ordered("-price")
    assert asc == sorted(prices)
    assert desc == sorted(prices, reverse=True)
    moqs = [p.moq for p in owner_client.get(url, {"sort": "moq"}).context["page"].items]
    assert moqs == sorted(moqs)

    from catalog import selectors

    seen = []
    after = ""
    while True:
        qs = selectors.product_listing(
            selectors.ProductFilters(category_ids=[leaf.pk], sort="price")
        )
        page = selectors.paginate(qs, sort="price", after=after, size=2)
        seen += [p.min_price_cny for p in page.items]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == sorted(prices)


def test_load_more_link_and_fragments(owner_client, tree, usd):
    for i in range(30):
        ProductFactory(category=tree[2], title_en=f"Mug {i}")
    url = reverse("catalog:category", args=["mugs"])

    full = owner_client.get(url)
    assert full.context["next_url"]
    assert 'id="load-more"' in full.content.decode()

    fragment = owner_client.get(url, {"in_stock": "on"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="product-results"')
    assert "<html" not in body
    assert len(fragment.content) < 15 * 1024

    more = owner_client.get(
        full.context["next_url"] and url + full.context["next_url"],
        headers={"HX-Request": "true", "HX-Target": "load-more"},
    )
    text = more.content.decode()
    assert 'id="product-results"' not in text
    assert text.count('class="product-card"') == 6


def test_bad_cursor_or_filters_do_not_break_the_page(owner_client, tree, usd):
    ProductFactory(category=tree[2])
    url = reverse("catalog:category", args=["mugs"])

    for params in ({"after": "!!!"}, {"after": "WzEsMl0"}, {"min_price": "abc"}, {"sort": "x"}):
        assert owner_client.get(url, params).status_code == 200


def test_product_page_shows_tiers_in_both_currencies_and_prices_a_basket(owner_client, tree, usd):
    product = ProductFactory(
        category=tree[2],
        moq=50,
        order_multiple=10,
        tiers=[(50, Decimal("10.00")), (200, Decimal("9.00"))],
    )
    red = SkuFactory(product=product, attributes={"Colour": "Red", "Size": "M"})
    blue = SkuFactory(product=product, attributes={"Colour": "Blue", "Size": "M"})
    url = reverse("catalog:product", args=[product.pk])

    page = owner_client.get(url).content.decode()
    assert "¥10.00" in page
    assert "1.40" in page
    assert "¥9.00" in page
    assert "1.26" in page
    assert "Colour by Size" in page  # the SKU matrix
    assert "Add to cart" in page
    try:
        cart_url = reverse("orders:cart-add")
    except NoReverseMatch:  # the orders app has not wired the cart yet
        assert "disabled" in page
    else:
        assert f'formaction="{cart_url}"' in page
        assert "csrfmiddlewaretoken" in page
    assert "Mugs" in page  # breadcrumbs to the leaf

    too_few = owner_client.get(url, {f"qty-{red.pk}": 10, f"qty-{blue.pk}": 20})
    assert "Minimum order is 50 pieces; you have 30." in too_few.content.decode()

    fragment = owner_client.get(
        url,
        {f"qty-{red.pk}": 100, f"qty-{blue.pk}": 100},
        headers={"HX-Request": "true", "HX-Target": "price-quote"},
    )
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div id="price-quote"')
    assert "¥1,800.00" in text
    assert "252.00 USD" in text


def test_prices_fall_back_to_cny_without_a_rate(owner_client, tree):
    ProductFactory(category=tree[2], base_price=Decimal("10.00"))

    page = owner_client.get(reverse("catalog:category", args=["mugs"])).content.decode()

    assert "¥10.00" in page
    assert "unavailable" in page


def test_listing_results_are_cached_and_an_edit_shows_at_once(
    owner_client, tree, usd, staff_user, django_capture_on_commit_callbacks
):
    from catalog.services import supplier_transition

    _root, _mid, leaf, _other = tree
    mug = ProductFactory(category=leaf, title_en="Blue mug")
    ProductFactory(category=leaf, title_en="Red mug")
    url = reverse("catalog:category", args=["mugs"])
    with CaptureQueriesContext(connection) as miss:
        first = owner_client.get(url)
    assert any('"catalog_product"."id"' in q["sql"] for q in miss)

    with CaptureQueriesContext(connection) as hit:
        again = owner_client.get(url)
    assert "page" not in again.context  # served from the cache: no product query
    assert not any('"catalog_product"."id"' in q["sql"] for q in hit)
    assert _results(again) == _results(first)

    with django_capture_on_commit_callbacks(execute=True):  # shown once committed
        mug.title_en = "Green mug"
        mug.save()
    edited = owner_client.get(url).content.decode()
    assert "Green mug" in edited
    assert "Blue mug" not in edited

    with django_capture_on_commit_callbacks(execute=True):
        supplier_transition(
            supplier=mug.supplier, to_status=Supplier.Status.SUSPENDED, actor=staff_user, reason="x"
        )
    assert "Green mug" not in owner_client.get(url).content.decode()


def test_a_cached_page_is_shared_but_each_merchant_sees_their_own_navbar(
    client, tree, usd, company, other_company, member_of, is_postgres
):
    _root, _mid, leaf, _other = tree
    ProductFactory(category=leaf, title_en="Blue mug")
    first = member_of(company, Role.BUYER)
    second = member_of(other_company, Role.BUYER)  # also paying in USD: the same page
    url = reverse("catalog:category", args=["mugs"]) + "?sort=price"
    client.force_login(first)
    first_page = client.get(url).content.decode()

    client.force_login(second)
    with CaptureQueriesContext(connection) as hit:
        second_page = client.get(url)
    text = second_page.content.decode()

    if is_postgres:  # elsewhere categories have no version: only the results are cached
        assert "form" not in second_page.context  # the filters came from the cache too
    assert not any('"catalog_product"."id"' in q["sql"] for q in hit)
    assert (
        text.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        == first_page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    )
    assert second.email in text
    assert other_company.legal_name in text
    assert first.email not in text
    assert company.legal_name not in text


def test_unknown_query_parameters_neither_split_the_cache_nor_travel_on(owner_client, tree, usd):
    _root, _mid, leaf, _other = tree
    ProductFactory.create_batch(30, category=leaf)
    url = reverse("catalog:category", args=["mugs"])
    owner_client.get(url, {"sort": "price"})

    with CaptureQueriesContext(connection) as hit:
        junk = owner_client.get(url, {"sort": "price", "utm_source": "mail", "x": "1"})

    assert not any('"catalog_product"."id"' in q["sql"] for q in hit)
    assert 'id="load-more"' in _results(junk)
    assert "utm_source" not in _results(junk)


def test_a_renamed_category_shows_at_once_on_its_listing(
    owner_client, tree, usd, django_capture_on_commit_callbacks
):
    _root, _mid, leaf, _other = tree
    ProductFactory(category=leaf)
    url = reverse("catalog:category", args=["mugs"])
    assert "Mugs" in owner_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # shown once committed
        leaf.name_en = "Coffee mugs"
        leaf.save()

    page = owner_client.get(url).content.decode()
    assert "<h1>Coffee mugs</h1>" in page


def test_with_the_cache_down_catalog_pages_render_without_it(owner_client, tree, usd, caplog):
    from unittest import mock

    _root, _mid, leaf, _other = tree
    product = ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10"))
    listing = reverse("catalog:category", args=["mugs"])

    with mock.patch("catalog.views.page_cache", BrokenCache()):
        pages = [
            owner_client.get(reverse("catalog:index")),
            owner_client.get(listing),
            owner_client.get(listing, headers={"HX-Request": "true"}),
            owner_client.get(reverse("catalog:search"), {"q": "mug"}),
            owner_client.get(reverse("catalog:product", args=[product.pk])),
        ]

    assert [page.status_code for page in pages] == [200] * 5
    assert "Mugs" in pages[0].content.decode()
    assert "1.40 USD" in pages[1].content.decode()
    assert "Blue mug" in pages[2].content.decode()
    assert "Catalog cache get_many failed" in caplog.text


def test_a_new_display_rate_renders_the_cached_page_again(owner_client, tree, usd):
    from catalog.views import _rate_key

    _root, _mid, leaf, _other = tree
    ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10"))
    url = reverse("catalog:category", args=["mugs"])
    assert "1.40 USD" in owner_client.get(url).content.decode()
    fragment = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "1.40 USD" in fragment

    fx_rate("USD", "0.1500")
    page_cache.delete(_rate_key("USD"))  # the cached rate's minute is over

    assert "1.50 USD" in owner_client.get(url).content.decode()
    assert "1.50 USD" in owner_client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_cached_results_are_kept_apart_by_currency_and_language(
    owner_client, tree, usd, other_company, member_of
):
    client = owner_client  # the same test client, signed in as another merchant below
    _root, _mid, leaf, _other = tree
    ProductFactory(
        category=leaf, title_en="Blue mug", title_zh="蓝色杯子", base_price=Decimal("10")
    )
    fx_rate("EUR", "0.1300")
    other_company.wallet_currency = "EUR"
    other_company.save()
    url = reverse("catalog:category", args=["mugs"])

    assert "1.40 USD" in owner_client.get(url).content.decode()
    client.force_login(member_of(other_company, Role.BUYER))
    euro = client.get(url).content.decode()
    assert "1.30 EUR" in euro
    assert "USD" not in _results_text(euro)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):  # the request activates Chinese
        chinese = _results_text(client.get(url).content.decode())
    assert "蓝色杯子" in chinese
    assert "Blue mug" not in chinese


def _results_text(html: str) -> str:
    return html.split('id="product-results"', 1)[1].split("</section>", 1)[0]


def _results(response) -> str:
    return _results_text(response.content.decode())

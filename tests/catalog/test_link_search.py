"""Links in: a product link pasted into the catalog search."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from catalog.models import Product, Supplier
from procurement.accounts.models import Role
from tests.accounts.factories import MembershipFactory
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory, fx_rate

pytestmark = pytest.mark.django_db

LINK = "https://detail.1688.com/offer/623456789012.html"
SHARE = f"【1688】304不锈钢保温杯 500ml {LINK}"


@pytest.fixture(autouse=True)
def _usd():
    fx_rate("USD", "0.1400")


@pytest.fixture
def imported():
    return ProductFactory(source="1688", source_offer_id="623456789012", title_en="Steel flask")


@pytest.fixture
def staff_client(client, account_manager, company):
    """An account manager who is also a member of a company, so the merchant search opens."""
    MembershipFactory(company=company, user=account_manager, role=Role.OWNER)
    client.force_login(account_manager)
    return client


def search(client, q, **kwargs):
    return client.get(reverse("catalog:search"), {"q": q}, **kwargs)


def test_a_pasted_link_of_an_imported_product_opens_it(owner_client, imported):
    response = search(owner_client, SHARE)

    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product", args=[imported.pk])


def test_htmx_search_is_sent_to_the_product_page(owner_client, imported):
    response = search(owner_client, LINK, headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("catalog:product", args=[imported.pk])


def test_a_link_not_imported_offers_a_sourcing_request_with_the_link_kept(owner_client):
    response = search(owner_client, SHARE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "1688 offer 623456789012" in html
    assert f"{reverse('orders:sourcing-create')}?links={quote(LINK, safe='')}" in html
    assert "Check the spelling" not in html
    assert "Import this offer" not in html  # merchants cannot import


def test_htmx_search_gets_only_the_results_fragment(owner_client):
    response = search(owner_client, LINK, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="product-results"')
    assert "<html" not in html


def test_a_product_merchants_cannot_see_yet_is_not_opened(owner_client, imported):
    Supplier.objects.filter(pk=imported.supplier_id).update(status=Supplier.Status.APPLIED)

    response = search(owner_client, LINK)

    assert response.status_code == 200
    assert "Steel flask" not in response.content.decode()


@pytest.mark.parametrize(
    ("q", "says"),
    [
        (
            "【淘宝】https://m.tb.cn/h.5Xyz?tk=abc 「保温杯」点击链接直接打开",
            "we cannot follow short links",
        ),
        ("https://www.amazon.com/dp/B000123", "1688, Taobao and Tmall only"),
    ],
)
def test_an_unreadable_link_says_why(owner_client, q, says):
    response = search(owner_client, q)

    assert response.status_code == 200
    assert says in response.content.decode()


def test_words_are_still_searched_as_words(owner_client):
    ProductFactory(title_en="Steel flask 500 ml")

    response = search(owner_client, "steel flask")

    assert "Steel flask 500 ml" in response.content.decode()


def test_staff_see_an_import_button(staff_client):
    response = search(staff_client, LINK)

    html = response.content.decode()
    assert "Import this offer" in html
    assert f'action="{reverse("catalog:offer-import")}"' in html


def test_staff_are_told_an_offer_is_imported_but_not_visible(staff_client, imported):
    Supplier.objects.filter(pk=imported.supplier_id).update(status=Supplier.Status.APPLIED)

    html = search(staff_client, LINK).content.decode()

    assert "Already imported" in html
    assert reverse("admin:catalog_product_change", args=[imported.pk]) in html


def test_importing_without_credentials_says_so_and_writes_nothing(staff_client, settings):
    settings.ALIBABA_OPEN_APP_KEY = ""
    category = CategoryFactory(parent=CategoryFactory(parent=CategoryFactory()))  # a leaf

    response = staff_client.post(
        reverse("catalog:offer-import"), {"url": SHARE, "category": category.pk}
    )

    assert response.status_code == 400
    assert "The 1688 open platform is not configured" in response.content.decode()
    assert not Product.objects.exists()


def test_only_1688_offers_can_be_imported(staff_client):
    response = staff_client.post(
        reverse("catalog:offer-import"), {"url": "https://item.taobao.com/item.htm?id=712345678"}
    )

    assert response.status_code == 400
    assert "Only 1688 offers can be imported" in response.content.decode()


def test_the_import_page_is_for_staff_who_may_import(owner_client, client, staff_user):
    assert owner_client.get(reverse("catalog:offer-import")).status_code == 403
    client.force_login(staff_user)  # staff, but not an account manager
    assert client.get(reverse("catalog:offer-import")).status_code == 403


def test_the_import_page_prefills_the_link(staff_client):
    response = staff_client.get(reverse("catalog:offer-import"), {"url": LINK})

    assert response.status_code == 200
    assert LINK in response.content.decode()


def test_a_supplier_factory_product_is_not_mistaken_for_an_offer(owner_client):
    ProductFactory(supplier=SupplierFactory(), source_offer_id="")

    assert search(owner_client, LINK).status_code == 200


def test_the_sourcing_request_form_keeps_the_pasted_link(owner_client):
    page = owner_client.get(reverse("orders:sourcing-create"), {"links": LINK})

    assert page.status_code == 200
    assert LINK in page.content.decode()

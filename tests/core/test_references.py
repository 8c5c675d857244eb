"""Opaque references read as names: one resolver per kind, one query per kind for a whole page,
links only where the viewer may follow them."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from procurement.core import references
from tests.catalog.factories import SupplierFactory
from tests.logistics.factories import StockItemFactory
from tests.orders.factories import paid_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(owner, company, rates):
    product, skus = product_with_skus()
    return paid_order(owner, company, (product, {skus[0]: 20}))


@pytest.fixture
def rates():
    from tests.payments.factories import seed_rates

    seed_rates()


def test_references_resolve_to_numbers_and_names_with_links_for_their_company(order, company):
    supplier = SupplierFactory(name_en="Yiwu Cups Co.")
    po = order.purchase_orders.first()
    refs = [order.reference, po.reference, f"supplier:{supplier.pk}"]

    names = references.resolve_many(refs, references.Viewer(company_id=company.pk))

    assert names[order.reference].label == order.number
    assert names[order.reference].url == f"/orders/{order.pk}/"
    assert order.number in names[po.reference].label
    assert names[f"supplier:{supplier.pk}"].label == "Yiwu Cups Co."
    assert names[f"supplier:{supplier.pk}"].url == ""


def test_another_company_reads_the_name_without_a_link(order, other_company):
    names = references.resolve_many([order.reference], references.Viewer(other_company.pk))
    assert names[order.reference].label == order.number
    assert names[order.reference].url == ""


def test_staff_follow_references_to_the_admin(order):
    found = references.resolve(order.reference, references.Viewer(staff=True))
    assert found.url == f"/admin/orders/order/{order.pk}/change/"


def test_a_missing_object_is_said_in_words():
    found = references.resolve("order:999999", references.Viewer())
    assert "order:" not in found.label
    assert "999999" in found.label


def test_a_page_resolves_every_reference_with_one_query_per_kind(
    company, django_assert_num_queries
):
    items = [
        StockItemFactory(company=company, source_reference=f"supplier:{SupplierFactory().pk}")
        for _ in range(5)
    ]
    refs = [item.source_reference for item in items] + [f"stock:{item.pk}" for item in items]
    with django_assert_num_queries(2):
        names = references.resolve_many(refs, references.Viewer(company_id=company.pk))
    assert len(names) == 10


def test_the_template_tags_show_names_and_links(order, owner, company):
    request = RequestFactory().get("/")
    request.user = owner
    request.membership = owner.memberships.get(company=company)
    rows = [{"ref": order.reference}, {"ref": "topup:999999"}]
    html = Template(
        "{% load references %}{% resolve_references rows 'ref' as names %}"
        "{% for row in rows %}[{% reference names row.ref %}]{% endfor %}"
    ).render(Context({"rows": rows, "request": request}))
    assert f'<a href="/orders/{order.pk}/">{order.number}</a>' in html
    assert "order:" not in html
    assert "topup:" not in html


def test_the_wallet_statement_reads_names(owner_client, order):
    response = owner_client.get("/wallet/statement/")
    assert order.number in response.text
    assert order.reference not in response.text
    csv = b"".join(owner_client.get("/wallet/statement.csv").streaming_content).decode()
    assert order.reference not in csv
    assert order.number in csv


def test_a_stock_item_names_its_purchase_order(owner_client, order, company):
    po = order.purchase_orders.first()
    item = StockItemFactory(company=company, source_reference=po.reference)
    response = owner_client.get(f"/logistics/stock/{item.pk}/")
    assert po.reference not in response.text
    assert order.number in response.text

"""The pages a signed-in merchant opens most (dashboard, orders list, wallet) run a fixed number
of queries, however many orders and wallet entries the company has."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics import selectors as logistics_selectors
from logistics.models import StockItem
from orders import selectors as order_selectors
from orders.models import Order, OrderLine
from procurement.accounts.models import Role
from tests.orders.factories import SupplierFactory
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db


def _orders(company, user, n):
    supplier = SupplierFactory()
    for i in range(n):
        order = Order.objects.create(
            company=company,
            created_by=user,
            checkout_key=f"pq-{company.pk}-{n}-{i}",
            currency="USD",
            goods_cny=Decimal("10.00"),
            domestic_freight_cny=Decimal("15.00"),
            number=f"ORD-P{n}{i}",
        )
        for _ in range(2):
            OrderLine.objects.create(
                order=order,
                supplier=supplier,
                description="x",
                quantity=1,
                unit_price_cny=Decimal("10.00"),
                line_total_cny=Decimal("10.00"),
            )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["dashboard", "orders:order-list", "payments:wallet"])
def test_signed_in_pages_do_not_grow_with_orders_and_wallet_entries(
    owner_client, owner, company, name
):
    url = reverse(name)
    _orders(company, owner, 2)
    fund_wallet(company, "20.00")
    owner_client.get(url)  # the first request stores the current company in the session
    few = _count(owner_client, url)

    _orders(company, owner, 40)
    for _ in range(15):
        fund_wallet(company, "20.00")
    many = _count(owner_client, url)

    assert many == few


def test_the_orders_list_counts_lines_without_grouping_every_order(owner_client, owner, company):
    _orders(company, owner, 3)
    owner_client.get(reverse("orders:order-list"))

    with CaptureQueriesContext(connection) as ctx:
        response = owner_client.get(reverse("orders:order-list"))

    page_count = [q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert response.status_code == 200
    assert response.context["page"].object_list[0].line_count == 2
    assert not any("GROUP BY" in sql.upper() for sql in page_count)


def test_the_dashboard_numbers_are_the_selectors_counts_in_one_query(owner_client, owner, company):
    _orders(company, owner, 3)
    Order.objects.filter(company=company).update(status=Order.Status.PENDING_APPROVAL)

    response = owner_client.get(reverse("dashboard"))

    assert response.context["stock_in_warehouse"] == (
        logistics_selectors.stock_of(company=company, status=StockItem.Status.IN_STOCK).count()
    )
    assert response.context["parcels_open"] == 0
    if company.uses_sourcing:
        assert response.context["approvals_waiting"] == (
            order_selectors.approvals_pending(company=company).count()
        )
        assert response.context["approvals_waiting"] == 3


def test_the_members_panel_reads_the_five_it_names_and_counts_the_rest(
    owner_client, company, other_company, member_of
):
    for _ in range(11):
        member_of(company, Role.VIEWER)
    member_of(other_company, Role.VIEWER)  # not counted: another company's
    owner_client.get(reverse("dashboard"))

    with CaptureQueriesContext(connection) as ctx:
        response = owner_client.get(reverse("dashboard"))

    assert response.context["member_count"] == 12
    assert response.context["members_more"] == 7
    assert len(response.context["members"]) == 5
    members_read = [q["sql"] for q in ctx.captured_queries if "LIMIT 5" in q["sql"]]
    assert any('"accounts_membership"' in sql for sql in members_read)
    panel = response.content.decode().split('id="panel-members-title"')[1].split("</section>")[0]
    assert "12 people work in this company account." in " ".join(panel.split())
    assert "and 7 more" in " ".join(panel.split())
    assert panel.count('class="list-group-item') == 5


def test_the_members_panel_of_a_small_company_names_everyone(owner_client, company, member_of):
    member_of(company, Role.BUYER)

    response = owner_client.get(reverse("dashboard"))

    panel = response.content.decode().split('id="panel-members-title"')[1].split("</section>")[0]
    assert "2 people work in this company account." in " ".join(panel.split())
    assert "more" not in panel
    assert panel.count('class="list-group-item') == 2

"""Purchase-order lines moved from the (inspection, resolution) pair to one status on the state
machine: every existing row keeps what it meant, and migrating back restores the pair."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0008_account_managers_see_1688_calls")]
# (inspection, resolution, counted) -> status, and what migrating back gives.
ROWS = [
    ("pending", "", False, "pending", ("pending", "")),
    ("pending", "", True, "pending", ("pending", "")),
    ("passed", "", True, "passed", ("passed", "")),
    ("failed", "", True, "failed", ("failed", "")),
    ("failed", "accepted", True, "accepted", ("failed", "accepted")),
    ("failed", "returned", True, "returned", ("failed", "returned")),
    # Decided, other failed lines still undecided: the count is not reset yet.
    ("failed", "replaced", True, "replacing", ("failed", "replaced")),
    # Every line decided, the purchase order back with the supplier: waiting for the goods.
    ("pending", "replaced", False, "replacing", ("pending", "replaced")),
    # The replacement arrived and was counted: to inspect again.
    ("pending", "replaced", True, "pending", ("pending", "")),
]


def _migrate(targets):
    return MigrationExecutor(connection).migrate(targets).apps


def _seed(apps) -> list[int]:
    company = apps.get_model("accounts", "Company").objects.create(
        legal_name="Acme", country="DE", wallet_currency="EUR"
    )
    user = apps.get_model("accounts", "User").objects.create(email="buyer@example.com")
    supplier = apps.get_model("catalog", "Supplier").objects.create(
        name_zh="义乌市测试有限公司", member_id="b2b-migration", province="zhejiang"
    )
    order = apps.get_model("orders", "Order").objects.create(
        company=company,
        created_by=user,
        currency="EUR",
        goods_cny=Decimal("80.00"),
        domestic_freight_cny=Decimal("15.00"),
    )
    order_line = apps.get_model("orders", "OrderLine").objects.create(
        order=order,
        supplier=supplier,
        description="T-shirt",
        quantity=10,
        unit_price_cny=Decimal("8.00"),
        line_total_cny=Decimal("80.00"),
    )
    po = apps.get_model("orders", "PurchaseOrder").objects.create(order=order, supplier=supplier)
    Line = apps.get_model("orders", "PurchaseOrderLine")
    return [
        Line.objects.create(
            purchase_order=po,
            order_line=order_line,
            description=f"T-shirt {n}",
            quantity=10,
            unit_price_cny=Decimal("8.00"),
            received_quantity=10 if counted else None,
            inspection=inspection,
            resolution=resolution,
        ).pk
        for n, (inspection, resolution, counted, _status, _back) in enumerate(ROWS)
    ]


@pytest.mark.django_db(transaction=True)
def test_every_line_keeps_its_meaning_in_its_status_and_back():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = _migrate(BEFORE)
    try:
        pks = _seed(old_apps)

        new_apps = _migrate(leaves)

        Line = new_apps.get_model("orders", "PurchaseOrderLine")
        statuses = dict(Line.objects.values_list("pk", "status"))
        assert [statuses[pk] for pk in pks] == [row[3] for row in ROWS]

        old_apps = _migrate(BEFORE)

        Line = old_apps.get_model("orders", "PurchaseOrderLine")
        pairs = {line.pk: (line.inspection, line.resolution) for line in Line.objects.all()}
        assert [pairs[pk] for pk in pks] == [row[4] for row in ROWS]
    finally:
        _migrate(leaves)

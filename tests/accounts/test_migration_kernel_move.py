"""The outbox, API keys, idempotent requests and webhooks moved from accounts to the kernel with
their rows: a database at the last accounts migration before the move keeps every row, now in the
core_* tables, and moving back restores the accounts_* tables."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_outbox_task")]
MOVED = [
    "apikey",
    "idempotentrequest",
    "outboxtask",
    "webhookendpoint",
    "webhookdelivery",
    "webhookattempt",
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # The whole state at the targets (the state `migrate` returns renders only what its plan
    # touched, which leaves out reverse relations of models no migration in the plan changed).
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _seed(apps) -> dict:
    def model(name):
        return apps.get_model("accounts", name)

    user = model("User").objects.create(email="owner@example.com")
    company = model("Company").objects.create(
        legal_name="Acme", country="DE", wallet_currency="EUR"
    )
    key = model("ApiKey").objects.create(
        company=company, name="ERP", prefix="abcdef123456", secret_hash="0" * 64, created_by=user
    )
    request = model("IdempotentRequest").objects.create(
        company=company, key="k1", method_path="POST /x", body_hash="1" * 64
    )
    endpoint = model("WebhookEndpoint").objects.create(
        company=company, url="https://erp.example.com/h", events=["order.paid"], secret="s"
    )
    delivery = model("WebhookDelivery").objects.create(
        endpoint=endpoint, company=company, event="order.paid", payload={"order_id": "1"}
    )
    attempt = model("WebhookAttempt").objects.create(delivery=delivery, number=1, status_code=500)
    task = model("OutboxTask").objects.create(task="orders.tasks.order_paid", args=[1])
    return {
        "apikey": key.pk,
        "idempotentrequest": request.pk,
        "webhookendpoint": endpoint.pk,
        "webhookdelivery": delivery.pk,
        "webhookattempt": attempt.pk,
        "outboxtask": task.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_every_row_moves_to_the_kernel_tables_and_back():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = _migrate(BEFORE)
    try:
        pks = _seed(old_apps)

        new_apps = _migrate(leaves)

        tables = set(connection.introspection.table_names())
        assert {f"core_{name}" for name in MOVED} <= tables
        assert not {f"accounts_{name}" for name in MOVED} & tables
        for name, pk in pks.items():
            assert new_apps.get_model("core", name).objects.filter(pk=pk).exists(), name
        delivery = new_apps.get_model("core", "WebhookDelivery").objects.get()
        assert delivery.endpoint.company.legal_name == "Acme"
        assert delivery.attempts.get().status_code == 500

        _migrate(BEFORE)
        tables = set(connection.introspection.table_names())
        assert {f"accounts_{name}" for name in MOVED} <= tables
        for name, pk in pks.items():
            assert old_apps.get_model("accounts", name).objects.filter(pk=pk).exists(), name
    finally:
        _migrate(leaves)

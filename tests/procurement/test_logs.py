"""Structured logs: one line per request carrying its id, user and company; the id travels with
the tasks the request enqueues."""

import io
import json
import logging
from types import SimpleNamespace

import pytest
from django.urls import reverse

from procurement.core import logs


@pytest.fixture
def json_lines():
    """What the production formatter writes for the request log, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(json=True))
    logger = logging.getLogger("procurement.requests")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        logs.clear()


def test_one_json_line_per_request_with_its_id_user_and_company(
    owner_client, owner, company, json_lines
):
    owner_client.get(reverse("dashboard"))  # resolves the current company into the session
    response = owner_client.get(reverse("dashboard"))
    line = json_lines()[-1]
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/dashboard/", 200)
    assert line["user_id"] == str(owner.pk)
    assert line["company_id"] == company.pk
    assert line["level"] == "info"
    assert line["duration_ms"] >= 0


def test_a_proxys_request_id_is_kept_and_a_malformed_one_replaced(client, json_lines):
    kept = client.get(reverse("healthz"), headers={"X-Request-ID": "lb-7f3a9c21e0"})
    assert kept["X-Request-ID"] == "lb-7f3a9c21e0"
    replaced = client.get(reverse("healthz"), headers={"X-Request-ID": "bad id\\n"})
    assert replaced["X-Request-ID"] != "bad id\\n"
    assert [line["request_id"] for line in json_lines()] == [
        "lb-7f3a9c21e0",
        replaced["X-Request-ID"],
    ]


def test_tasks_carry_the_request_id_to_the_worker():
    logs.clear()
    logs.bind(request_id="req-1234567890")
    headers: dict = {}
    logs._tag_task(headers=headers)
    assert headers == {logs.REQUEST_ID_HEADER: "req-1234567890"}

    # On the worker, another process: the task binds the id it was sent with.
    logs.clear()
    task = SimpleNamespace(
        name="payments.tasks.export_settlement_xlsx",
        request=SimpleNamespace(is_eager=False, headers=headers, request_id="req-1234567890"),
    )
    logs._bind_task(task_id="t-1", task=task)
    try:
        bound = logs.structlog.contextvars.get_contextvars()
        assert bound == {
            "request_id": "req-1234567890",
            "task": "payments.tasks.export_settlement_xlsx",
            "task_id": "t-1",
        }
    finally:
        logs._unbind_task(task=task)
    assert logs.structlog.contextvars.get_contextvars() == {}

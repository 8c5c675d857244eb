"""Every app's refusal reaches an API client in one shape: {"code", "message", "field"}, with the
error's own code and HTTP status, through the one DomainError handler."""

import importlib
import inspect
import json

import pytest

from orders import services as orders_services
from procurement.core.exceptions import DomainError
from tests.api.factories import bearer
from tests.orders.factories import place_order, product_with_skus

pytestmark = pytest.mark.django_db

APP_EXCEPTIONS = (
    "procurement.core.exceptions",
    "procurement.accounts.exceptions",
    "payments.exceptions",
    "catalog.exceptions",
    "logistics.exceptions",
    "orders.exceptions",
)


def _domain_errors() -> list[type[DomainError]]:
    for module in APP_EXCEPTIONS:
        importlib.import_module(module)
    found, pending = [], [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


# Values for errors that say which input is at fault (keyword-only arguments without defaults).
SAMPLE_ARGUMENTS = {
    "index": 0,
    "field": "quantity",
    "problems": ["Line 1: enter an HS code of at least 6 digits."],
    "errors": {1: "Enter the received quantity."},
    "labels": {1: "Line 1"},
}
# Errors whose argument of the same name has another shape.
SAMPLE_ARGUMENTS_OF = {
    "DeclarationRefused": {
        "errors": {1: {"hs_code": ["Line 1: an HS code has 6 to 12 digits."]}},
    },
}


def _raise(error: type[DomainError]) -> DomainError:
    samples = {**SAMPLE_ARGUMENTS, **SAMPLE_ARGUMENTS_OF.get(error.__qualname__, {})}
    required = {
        name: samples[name]
        for name, parameter in inspect.signature(error).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    }
    return error(**required)


def test_every_app_has_domain_errors():
    modules = {cls.__module__ for cls in _domain_errors()}
    assert set(APP_EXCEPTIONS) <= modules


@pytest.mark.parametrize("error", _domain_errors(), ids=lambda cls: cls.__qualname__)
def test_each_domain_error_answers_the_same_shape(
    error, client, company, owner, token, rates, monkeypatch
):
    product, skus = product_with_skus()
    order = place_order(owner, company, (product, {skus[0]: 10}))

    refusal = _raise(error)

    def refuse(**kwargs):
        raise refusal

    monkeypatch.setattr(orders_services, "order_pay", refuse)
    response = client.post(
        f"/api/v1/orders/{order.pk}/pay",
        json.dumps({}),
        content_type="application/json",
        **bearer(token),
    )

    assert response.status_code == error.status
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == error.code
    assert body["message"] == str(refusal.message)
    assert body["message"]
    assert body["field"] == refusal.field

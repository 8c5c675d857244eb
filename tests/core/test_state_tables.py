"""Every stateful model declares one complete table of moves on itself.

Each app's `test_states.py` walks its models' tables through their services (an allowed move
writes exactly one event row, a refused one raises the kernel's InvalidTransition and changes
nothing); this test makes sure no stateful model is missing from that picture: the portal's
models are all `Stateful`, and every table is complete and names only the model's statuses.
"""

import pytest
from django.apps import apps

from procurement.core.states import Stateful


def _stateful_models():
    return sorted(
        (model for model in apps.get_models() if issubclass(model, Stateful)),
        key=lambda model: model._meta.label,
    )


def test_the_portal_has_its_stateful_models():
    labels = {model._meta.label for model in _stateful_models()}
    assert {
        "orders.Order",
        "orders.PurchaseOrder",
        "orders.SourcingRequest",
        "orders.SourcingQuote",
        "catalog.Supplier",
        "payments.TopUp",
        "payments.SupplierPayable",
        "payments.PayoutBatch",
        "payments.FxQuote",
        "payments.ExportJob",
        "logistics.Parcel",
        "logistics.InboundParcel",
    } <= labels


@pytest.mark.parametrize("model", _stateful_models(), ids=lambda model: model._meta.label)
def test_each_table_is_complete(model):
    statuses = {value for value, _label in model._meta.get_field("status").flatchoices}
    assert set(model.TRANSITIONS) == statuses, "every status has a row, even an empty one"
    for source, targets in model.TRANSITIONS.items():
        assert targets <= statuses, source


@pytest.mark.parametrize("model", _stateful_models(), ids=lambda model: model._meta.label)
def test_each_timeline_is_a_status_event(model):
    if model.STATUS_EVENTS is None:
        return
    events = model._meta.get_field(model.STATUS_EVENTS).related_model
    names = {field.name for field in events._meta.get_fields()}
    assert {"from_status", "to_status", "actor", "reason", "created_at"} <= names

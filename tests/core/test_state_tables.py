"""Every stateful model declares one complete table of moves on itself.

Each app's `test_states.py` walks its models' tables through their services (an allowed move
writes exactly one event row, a refused one raises the kernel's InvalidTransition and changes
nothing); this test makes sure no stateful model is missing from that picture: the portal's
models are all `Stateful`, and every table is complete and names only the model's statuses.
"""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction

from orders.models import Order, OrderLine, PurchaseOrder, PurchaseOrderLine
from procurement.core import states
from procurement.core.exceptions import InvalidTransition
from procurement.core.states import Stateful
from tests.accounts.factories import CompanyFactory, UserFactory
from tests.catalog.factories import SupplierFactory


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
        "orders.PurchaseOrderLine",
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


# --- Purchase-order lines: the one model of the warehouse whose table is walked here -----------
# (its services' paths are in tests/orders/test_receiving.py and test_inspection.py).

LINE_STATUSES = [value for value, _label in PurchaseOrderLine.Status.choices]
LINE_MOVES = [(start, to) for start in LINE_STATUSES for to in LINE_STATUSES]


def _line_at(status: str) -> PurchaseOrderLine:
    supplier = SupplierFactory()
    order = Order.objects.create(
        company=CompanyFactory(),
        created_by=UserFactory(),
        currency="USD",
        goods_cny=Decimal("80.00"),
        domestic_freight_cny=Decimal("15.00"),
    )
    order_line = OrderLine.objects.create(
        order=order,
        supplier=supplier,
        description="T-shirt, red",
        quantity=10,
        unit_price_cny=Decimal("8.00"),
        line_total_cny=Decimal("80.00"),
    )
    po = PurchaseOrder.objects.create(order=order, supplier=supplier)
    return PurchaseOrderLine.objects.create(
        purchase_order=po,
        order_line=order_line,
        description="T-shirt, red",
        quantity=10,
        unit_price_cny=Decimal("8.00"),
        status=status,
    )


def test_the_line_table_reads_as_the_warehouse_and_the_merchant_say_it():
    LS = PurchaseOrderLine.Status
    assert PurchaseOrderLine.TRANSITIONS[LS.PENDING] == {LS.PASSED, LS.FAILED}
    assert PurchaseOrderLine.TRANSITIONS[LS.FAILED] == {LS.ACCEPTED, LS.RETURNED, LS.REPLACING}
    assert PurchaseOrderLine.TRANSITIONS[LS.REPLACING] == {LS.PENDING}
    assert not {"inspection", "resolution"} & {f.name for f in PurchaseOrderLine._meta.fields}


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "to"), LINE_MOVES, ids=[f"{a}->{b}" for a, b in LINE_MOVES])
def test_a_line_moves_only_along_its_table(start, to):
    line = _line_at(start)
    allowed = to in PurchaseOrderLine.TRANSITIONS[start]

    if allowed:
        with transaction.atomic():
            event = states.apply(states.lock(line), to=to, reason="walked")
        line.refresh_from_db()
        assert line.status == to
        assert line.events.count() == 1
        assert (event.from_status, event.to_status, event.reason) == (start, to, "walked")
    else:
        with pytest.raises(InvalidTransition), transaction.atomic():
            states.apply(states.lock(line), to=to, reason="refused")
        line.refresh_from_db()
        assert line.status == start
        assert not line.events.exists()


@pytest.mark.parametrize("model", _stateful_models(), ids=lambda model: model._meta.label)
def test_status_label_is_the_choice_label_in_the_active_language(model):
    """Stateful's get_status_display() reads the labels once; it says what Django's did."""
    from django.utils import translation

    for language in ("en", "zh-hans"):
        with translation.override(language):
            for status, label in model._meta.get_field("status").flatchoices:
                shown = model(status=status).get_status_display()
                assert shown == str(label)
                assert type(shown) is str
    assert model(status="no-such-status").get_status_display() == "no-such-status"


def test_status_label_follows_the_language_of_each_request():
    from django.utils import translation

    order = Order(status=Order.Status.PAID)
    with translation.override("en"):
        english = order.get_status_display()
    with translation.override("zh-hans"):
        chinese = order.get_status_display()
    assert english == "Paid"
    assert chinese not in ("", english)

"""The orders' stateful models move through `procurement.core.states`: their tables live on the
model, and every move of a sourcing quote lands on its own timeline."""

from decimal import Decimal

import pytest

from orders import exceptions, services
from orders.models import Order, PurchaseOrder, SourcingQuote, SourcingQuoteEvent
from procurement.core import states
from tests.orders.factories import SupplierFactory, membership

pytestmark = pytest.mark.django_db

QS = SourcingQuote.Status


def _request(buyer, company):
    return services.sourcing_request_create(
        company=company, actor=buyer, title="Cases", description="matte"
    )


def _draft(request, account_manager):
    return services.sourcing_quote_create(
        request=request,
        actor=account_manager,
        lines=[
            {
                "supplier": SupplierFactory(),
                "description": "Matte silicone case",
                "unit_price_cny": Decimal("3.20"),
                "moq": 300,
                "quantity": 500,
                "lead_time_days": 12,
            }
        ],
    )


def _moves(quote):
    return list(
        SourcingQuoteEvent.objects.filter(quote=quote)
        .order_by("created_at", "pk")
        .values_list("from_status", "to_status")
    )


def test_sending_a_quote_records_the_move_and_supersedes_the_one_sent_before(
    buyer, company, account_manager
):
    request = _request(buyer, company)
    first = _draft(request, account_manager)
    services.sourcing_quote_send(quote=first, actor=account_manager)
    second = _draft(request, account_manager)

    services.sourcing_quote_send(quote=second, actor=account_manager)

    first.refresh_from_db()
    assert first.status == QS.SUPERSEDED
    assert first.decided_at is not None
    assert _moves(first) == [(QS.DRAFT, QS.SENT), (QS.SENT, QS.SUPERSEDED)]
    assert _moves(second) == [(QS.DRAFT, QS.SENT)]
    assert second.events.get().actor == account_manager


def test_accepting_and_declining_are_on_the_quote_timeline(buyer, company, account_manager, rates):
    accepted = _draft(_request(buyer, company), account_manager)
    services.sourcing_quote_send(quote=accepted, actor=account_manager)
    declined = _draft(_request(buyer, company), account_manager)
    services.sourcing_quote_send(quote=declined, actor=account_manager)

    order = services.sourcing_quote_accept(
        quote=accepted, actor=buyer, membership=membership(buyer, company)
    )
    services.sourcing_quote_decline(
        quote=declined, actor=buyer, membership=membership(buyer, company), reason="Too dear"
    )

    assert _moves(accepted)[-1] == (QS.SENT, QS.ACCEPTED)
    assert order.number in accepted.events.last().reason
    assert _moves(declined)[-1] == (QS.SENT, QS.DECLINED)
    assert declined.events.last().reason == "Too dear"


def test_a_refused_quote_move_writes_nothing(buyer, company, account_manager):
    quote = _draft(_request(buyer, company), account_manager)

    with pytest.raises(exceptions.QuoteNotAcceptable):
        services.sourcing_quote_decline(
            quote=quote, actor=buyer, membership=membership(buyer, company), reason="No"
        )
    with pytest.raises(exceptions.InvalidTransition):
        states.transition(quote, to=QS.ACCEPTED, actor=buyer)

    quote.refresh_from_db()
    assert quote.status == QS.DRAFT
    assert not quote.events.exists()


def test_the_tables_are_on_the_models():
    assert Order(status=Order.Status.AWAITING_PAYMENT).can_become(Order.Status.PAID)
    assert not Order(status=Order.Status.COMPLETED).available_statuses()
    assert PurchaseOrder(status=PurchaseOrder.Status.SHIPPED).available_statuses() == {
        PurchaseOrder.Status.RECEIVED
    }
    assert SourcingQuote(status=QS.DRAFT).available_statuses() == {QS.SENT}


PS = PurchaseOrder.Status
# What the admin offered per status before it asked the model (the old PO_ACTIONS table).
OFFERED_BEFORE = {
    "change_supplier": {PS.PENDING, PS.OUT_OF_STOCK},
    "split": {PS.PENDING, PS.OUT_OF_STOCK},
    "place": {PS.PENDING},
    "out_of_stock": {PS.PENDING, PS.PLACED},
    "ship": {PS.PLACED},
    "receive": {PS.SHIPPED},
    "inspect": {PS.RECEIVED},
    "return": {PS.RECEIVED, PS.INSPECTED},
    "cancel": {PS.PENDING, PS.OUT_OF_STOCK, PS.PRICE_CHANGED, PS.PLACED},
    "correct_price": {PS.PLACED, PS.SHIPPED, PS.RECEIVED, PS.INSPECTED, PS.STOCKED},
    "payable": {PS.PLACED, PS.SHIPPED, PS.RECEIVED, PS.INSPECTED, PS.STOCKED},
}


@pytest.mark.parametrize("status", PS.values)
def test_the_admin_offers_what_the_purchase_order_allows(status):
    from orders.admin import PURCHASE_ORDER_ACTIONS

    po = PurchaseOrder(status=status)
    offered = {name for name, action in PURCHASE_ORDER_ACTIONS.items() if action.is_open(po)}

    assert offered == {name for name, statuses in OFFERED_BEFORE.items() if status in statuses}
    po.payable_recorded = True
    assert not PURCHASE_ORDER_ACTIONS["payable"].is_open(po)

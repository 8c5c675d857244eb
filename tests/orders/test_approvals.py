from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders import exceptions, services
from orders.models import Order
from payments.models import LedgerTransaction
from procurement.accounts.models import Membership, Role
from tests.orders.factories import fund_wallet, membership, place_order, product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited_buyer(buyer, company):
    Membership.objects.filter(user=buyer, company=company).update(spending_limit=Decimal("20"))
    return buyer


@pytest.fixture
def big_order(limited_buyer, approver, company, rates, django_capture_on_commit_callbacks):
    product, (red, _blue) = product_with_skus()
    with django_capture_on_commit_callbacks(execute=True):
        return place_order(limited_buyer, company, (product, {red: 50}))


def test_order_above_the_spending_limit_waits_for_an_approver(big_order, approver):
    assert big_order.status == Order.Status.PENDING_APPROVAL
    assert big_order.quote is None
    assert mail.outbox[0].to == [approver.email]
    assert "needs your approval" in mail.outbox[0].subject


def test_order_within_the_limit_goes_straight_to_payment(buyer, company, rates):
    Membership.objects.filter(user=buyer, company=company).update(spending_limit=Decimal("10000"))
    product, (red, _blue) = product_with_skus()

    order = place_order(buyer, company, (product, {red: 10}))

    assert order.status == Order.Status.AWAITING_PAYMENT


def test_pending_order_cannot_be_paid(big_order, limited_buyer, company):
    fund_wallet(company, Decimal("500"))
    with pytest.raises(exceptions.InvalidTransition):
        services.order_pay(
            order=big_order, actor=limited_buyer, membership=membership(limited_buyer, company)
        )
    assert not LedgerTransaction.objects.filter(kind="checkout").exists()


def test_approver_approves_with_a_comment_then_the_buyer_pays(
    client, big_order, approver, limited_buyer, company, django_capture_on_commit_callbacks
):
    fund_wallet(company, Decimal("500"))
    client.force_login(approver)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:order-approve", args=[big_order.pk]), {"comment": "Fine for Q3"}
        )

    assert response.status_code == 302
    big_order.refresh_from_db()
    assert big_order.status == Order.Status.AWAITING_PAYMENT
    assert big_order.approved_by == approver
    assert big_order.quote is not None
    assert mail.outbox[0].to == [limited_buyer.email]
    assert "approved" in mail.outbox[0].subject
    event = big_order.events.last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "pending_approval",
        "awaiting_payment",
        approver,
        "Fine for Q3",
    )

    services.order_pay(
        order=big_order, actor=limited_buyer, membership=membership(limited_buyer, company)
    )
    big_order.refresh_from_db()
    assert big_order.status == Order.Status.PAID


def test_rejection_needs_a_comment_and_cancels(client, big_order, approver):
    client.force_login(approver)

    client.post(reverse("orders:order-reject", args=[big_order.pk]), {"comment": ""})
    big_order.refresh_from_db()
    assert big_order.status == Order.Status.PENDING_APPROVAL

    client.post(reverse("orders:order-reject", args=[big_order.pk]), {"comment": "Too many"})
    big_order.refresh_from_db()
    assert big_order.status == Order.Status.CANCELLED
    assert big_order.approval_comment == "Too many"


def test_buyer_cannot_approve(client, big_order, company, member_of):
    other_buyer = member_of(company, Role.BUYER)
    client.force_login(other_buyer)

    response = client.post(reverse("orders:order-approve", args=[big_order.pk]))

    assert response.status_code == 403


def test_owner_cannot_approve_their_own_order(company, owner, rates):
    Membership.objects.filter(user=owner, company=company).update(spending_limit=Decimal("1"))
    product, (red, _blue) = product_with_skus()
    order = place_order(owner, company, (product, {red: 10}))

    with pytest.raises(exceptions.PermissionRefused):
        services.order_approve(order=order, actor=owner, membership=membership(owner, company))


def test_approvals_page_lists_pending_orders(client, big_order, approver):
    client.force_login(approver)

    response = client.get(reverse("orders:approval-list"))

    assert big_order.number in response.text

"""Timeline reasons are written once and read in each reader's language."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from orders.models import Order, OrderEvent
from procurement.accounts.models import Membership
from procurement.core.phrases import phrase
from tests.orders.factories import place_order, product_with_skus

pytestmark = pytest.mark.django_db


def test_an_event_keeps_the_phrase_and_a_typed_reason_stays_as_typed(buyer, company):
    product, (red, _blue) = product_with_skus()
    order = place_order(buyer, company, (product, {red: 10}))
    with translation.override("en"):
        written = OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            reason=phrase("Rejected: %(comment)s", comment="too dear"),
        )
    typed = OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, reason="as I typed it"
    )
    written.refresh_from_db()
    typed.refresh_from_db()

    assert written.reason == "Rejected: too dear"
    assert written.reason_key["msgid"] == "Rejected: %(comment)s"
    assert typed.reason_key == {}
    with translation.override("zh-hans"):
        assert written.reason_text != written.reason
        assert "too dear" in written.reason_text
        assert typed.reason_text == "as I typed it"


def test_the_order_timeline_reads_in_the_readers_language(
    client, buyer, company, approver, rates, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=buyer, company=company).update(spending_limit=Decimal("20"))
    product, (red, _blue) = product_with_skus()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        order = place_order(buyer, company, (product, {red: 50}))
    assert order.status == Order.Status.PENDING_APPROVAL
    assert order.events.filter(reason="Above the buyer's spending limit").exists()

    client.force_login(buyer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()

    assert "超出采购员的消费限额" in page
    assert "Above the buyer's spending limit" not in page

"""Statuses worded for the merchant read correctly for staff; the merchant's list of failed
inspection checks has a heading that says so."""

import pytest

from orders.models import PurchaseOrder

pytestmark = pytest.mark.django_db


def test_staff_read_who_a_price_change_waits_for():
    po = PurchaseOrder(status=PurchaseOrder.Status.PRICE_CHANGED)
    assert po.get_status_display() == "Price changed: waiting for you"
    assert po.get_staff_status_display() == "Price changed: waiting for the merchant"
    assert PurchaseOrder(status=PurchaseOrder.Status.PLACED).get_staff_status_display() == (
        "Placed with the supplier"
    )


def test_the_purchase_order_queue_shows_the_staff_label():
    from django.contrib import admin

    model_admin = admin.site.get_model_admin(PurchaseOrder)
    assert "staff_status" in model_admin.list_display
    assert "status" not in model_admin.list_display

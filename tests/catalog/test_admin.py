import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from catalog.models import Supplier
from tests.catalog.factories import ProductFactory, SupplierFactory

S = Supplier.Status
pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_supplier_changelist")


def act(client, action, suppliers, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [s.pk for s in suppliers], **extra}
    return client.post(CHANGELIST, data)


def test_approve_asks_for_a_reason_then_applies(client, account_manager):
    client.force_login(account_manager)
    supplier = SupplierFactory(status=S.UNDER_REVIEW)

    page = act(client, "approve", [supplier])

    assert page.status_code == 200
    assert b"These suppliers will change status" in page.content
    supplier.refresh_from_db()
    assert supplier.status == S.UNDER_REVIEW

    done = act(client, "approve", [supplier], apply="1", reason="Factory audited")

    assert done.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == S.APPROVED
    event = supplier.events.get()
    assert (event.actor, event.reason) == (account_manager, "Factory audited")


def test_reject_without_reason_is_sent_back(client, account_manager):
    client.force_login(account_manager)
    supplier = SupplierFactory(status=S.UNDER_REVIEW)

    page = act(client, "reject", [supplier], apply="1", reason="")

    assert page.status_code == 200
    assert b"Give a reason" in page.content
    supplier.refresh_from_db()
    assert supplier.status == S.UNDER_REVIEW


def test_a_disallowed_transition_is_reported_per_supplier(client, account_manager):
    client.force_login(account_manager)
    applied = SupplierFactory(status=S.APPLIED)

    response = act(client, "suspend", [applied], apply="1", reason="x")

    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.status == S.APPLIED


def test_staff_without_vet_permission_get_no_vetting_actions(client, staff_user):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(
        Permission.objects.get(codename="view_supplier", content_type__app_label="catalog"),
        Permission.objects.get(codename="change_supplier", content_type__app_label="catalog"),
    )
    client.force_login(staff_user)
    supplier = SupplierFactory(status=S.UNDER_REVIEW)

    listing = client.get(CHANGELIST)
    act(client, "approve", [supplier], apply="1", reason="sneaky")

    assert listing.status_code == 200
    assert b'value="approve"' not in listing.content
    supplier.refresh_from_db()
    assert supplier.status == S.UNDER_REVIEW


def test_account_managers_hold_the_vet_permission(account_manager):
    assert account_manager.has_perm("catalog.vet_supplier")
    assert account_manager.has_perm("catalog.change_product")


def test_supplier_page_shows_history_and_scorecard(client, account_manager):
    client.force_login(account_manager)
    supplier = SupplierFactory(status=S.APPROVED)

    page = client.get(reverse("admin:catalog_supplier_change", args=[supplier.pk]))

    assert page.status_code == 200
    assert b"vetting history" in page.content.lower()
    assert b"on time" in page.content


def test_product_admin_pages_open(client, account_manager):
    client.force_login(account_manager)
    product = ProductFactory()

    assert client.get(reverse("admin:catalog_product_changelist")).status_code == 200
    assert client.get(reverse("admin:catalog_product_change", args=[product.pk])).status_code == 200
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "product", "field_name": "supplier", "term": "Yiwu"},
    )
    assert autocomplete.status_code == 200

"""The store admin: seen with the model permissions only, read-only pages, no secret ever
shown, nobody adds a connection, and the actions (retry, pause) need the change permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from logistics import services as logistics_services
from orders.stores import crypto
from orders.stores.models import StoreConnection, StoreOrder
from tests.orders.factories import staff_in
from tests.orders.stores.conftest import SHOP, SHOP_SECRET, SHOP_TOKEN, shop_line
from tests.orders.stores.test_lifecycle import _receive, _shipped

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db):
    return staff_in("Account managers", is_superuser=True)


@pytest.fixture
def failed_push(
    client,
    shop_connection,
    shopify,
    goods,
    wallet,
    warehouse_staff,
    django_capture_on_commit_callbacks,
):
    """A shipped store order whose tracking the store did not take."""
    _product, skus = goods
    order = shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    _receive(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    store_order = StoreOrder.objects.get()
    parcel = _shipped(store_order, warehouse_staff)
    shopify.fail(SHOP, "server_error", times=10)
    with django_capture_on_commit_callbacks(execute=True):
        logistics_services.parcel_ship(parcel=parcel, actor=warehouse_staff, tracking_number="Z9")
    shopify.shops[SHOP].failures.queue.clear()
    store_order.refresh_from_db()
    assert store_order.status == StoreOrder.Status.SHIPPED
    client.logout()
    return store_order


def test_staff_without_the_permissions_see_nothing(client, staff_user, shop_connection):
    _as(client, staff_user)
    for name in ("stores_storeconnection_changelist", "stores_storeorder_changelist"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403
    change = reverse("admin:stores_storeconnection_change", args=[shop_connection.pk])
    assert client.get(change).status_code == 403


def test_account_managers_see_connections_without_any_secret(
    client, account_manager, shop_connection
):
    _as(client, account_manager)
    listing = client.get(reverse("admin:stores_storeconnection_changelist"))
    page = client.get(reverse("admin:stores_storeconnection_change", args=[shop_connection.pk]))

    assert listing.status_code == page.status_code == 200
    assert "My Shopify" in listing.text
    connection = StoreConnection.objects.get()
    for text in (listing.text, page.text):
        for secret in (
            SHOP_TOKEN,
            SHOP_SECRET,
            connection.access_key_encrypted,
            connection.webhook_secret_encrypted,
            connection.webhook_token,
        ):
            assert secret not in text
    assert 'name="auto_pay"' not in page.text  # read-only: no input to change
    assert crypto.decrypt(connection.access_key_encrypted) == SHOP_TOKEN


def test_nobody_adds_changes_or_deletes_a_connection(client, superuser, shop_connection):
    _as(client, superuser)
    change = reverse("admin:stores_storeconnection_change", args=[shop_connection.pk])

    assert client.get(reverse("admin:stores_storeconnection_add")).status_code == 403
    assert client.post(change, {"name": "Renamed", "auto_pay": ""}).status_code == 403
    delete = reverse("admin:stores_storeconnection_delete", args=[shop_connection.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    connection = StoreConnection.objects.get()
    assert (connection.name, connection.auto_pay) == ("My Shopify", True)


def test_account_managers_retry_a_failed_push(client, account_manager, failed_push, shopify):
    _as(client, account_manager)
    response = client.post(
        reverse("admin:stores_storeorder_changelist"),
        {"action": "retry", "_selected_action": [failed_push.pk]},
        follow=True,
    )

    assert "1 store order tried again." in response.text
    failed_push.refresh_from_db()
    assert failed_push.status == StoreOrder.Status.TRACKING_PUSHED
    assert shopify.shops[SHOP].fulfillments


def test_seeing_store_orders_is_not_enough_to_retry(client, staff_user, failed_push):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_storeorder"))
    _as(client, staff_user)
    assert client.get(reverse("admin:stores_storeorder_changelist")).status_code == 200

    client.post(
        reverse("admin:stores_storeorder_changelist"),
        {"action": "retry", "_selected_action": [failed_push.pk]},
    )

    failed_push.refresh_from_db()
    assert failed_push.status == StoreOrder.Status.SHIPPED


def test_pausing_needs_the_connections_change_permission(
    client, account_manager, staff_user, shop_connection
):
    url = reverse("admin:stores_storeconnection_changelist")
    body = {"action": "pause", "_selected_action": [shop_connection.pk]}

    _as(client, account_manager).post(url, body)
    assert StoreConnection.objects.get().status == StoreConnection.Status.ACTIVE

    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_storeconnection", "change_storeconnection"])
    )
    response = _as(client, staff_user).post(url, body, follow=True)

    assert "1 store connection paused." in response.text
    connection = StoreConnection.objects.get()
    assert connection.status == StoreConnection.Status.PAUSED
    assert connection.events.last().actor == staff_user
    again = client.post(url, body, follow=True)
    assert StoreConnection.objects.get().status == StoreConnection.Status.PAUSED
    assert "1 store connection paused." not in again.text

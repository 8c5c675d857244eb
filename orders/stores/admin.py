"""Store connections and their orders in the admin, read-only: account managers see why a
merchant's store order waits; every change goes through the merchant's pages and services."""

from django.contrib import admin

from orders.stores.models import StoreConnection, StoreOrder
from procurement.core.admin_base import ReadOnlyAdmin


@admin.register(StoreConnection)
class StoreConnectionAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "company",
        "platform",
        "shop",
        "status",
        "webhook_status",
        "last_call_at",
        "last_error",
    ]
    list_filter = ["platform", "status", "webhook_status"]
    search_fields = ["name", "shop", "company__legal_name"]
    list_select_related = ["company"]
    exclude = [
        "access_key_encrypted",
        "access_secret_encrypted",
        "webhook_secret_encrypted",
        "webhook_token",
    ]


@admin.register(StoreOrder)
class StoreOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "connection",
        "company",
        "customer_name",
        "status",
        "reason",
        "order",
        "parcel",
        "created_at",
    ]
    list_filter = ["status", "connection__platform"]
    search_fields = ["number", "external_id", "customer_name", "company__legal_name"]
    list_select_related = ["connection", "company", "order", "parcel"]
    exclude = ["raw"]

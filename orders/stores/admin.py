"""Store connections and their orders in the admin: account managers see why a merchant's store
order waits and may try it again; a connection that misbehaves may be paused.

The connections are the merchants': nobody adds, edits or deletes one here, and no secret
(credentials, webhook signing key, webhook address token) is ever shown. Seeing needs the
model's view permission; the actions need its change permission, which opens nothing else:
every object's page stays read-only, and each action goes through the same service as the
merchant's pages.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orders.stores import services
from orders.stores.models import StoreConnection, StoreOrder, TrackingPush
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError

SECRET_FIELDS = [
    "access_key_encrypted",
    "access_secret_encrypted",
    "webhook_secret_encrypted",
    "webhook_token",
]


class ActionsOnlyAdmin(admin.ModelAdmin):
    """Read-only pages; the change permission only lets its holder run the actions."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Asked without an object by the actions; with one by the object's page and its form.
        if obj is not None:
            return False
        return super().has_change_permission(request)


def _run(modeladmin, request, queryset, action) -> int:
    """Run `action` on each object; refusals are shown one by one. How many went through."""
    succeeded = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    return succeeded


@admin.register(StoreConnection)
class StoreConnectionAdmin(ActionsOnlyAdmin):
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
    exclude = SECRET_FIELDS
    actions = ["pause"]

    @admin.action(description=_("Pause the selected store connections"), permissions=["change"])
    def pause(self, request, queryset):
        paused = _run(
            self,
            request,
            queryset,
            lambda connection: services.connection_pause(connection=connection, actor=request.user),
        )
        if paused:
            self.message_user(
                request,
                ngettext(
                    "%(n)d store connection paused.", "%(n)d store connections paused.", paused
                )
                % {"n": paused},
                messages.SUCCESS,
            )


class TrackingPushInline(ReadOnlyInline):
    model = TrackingPush
    fields = ["event_id", "kind", "status", "attempts", "error", "pushed_at"]
    readonly_fields = fields


@admin.register(StoreOrder)
class StoreOrderAdmin(ActionsOnlyAdmin):
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
    inlines = [TrackingPushInline]
    actions = ["retry"]

    @admin.action(
        description=_("Try the selected store orders again (place, follow, push tracking)"),
        permissions=["change"],
    )
    def retry(self, request, queryset):
        tried = _run(
            self,
            request,
            queryset.select_related("connection"),
            lambda store_order: services.store_order_retry(store_order=store_order),
        )
        if tried:
            self.message_user(
                request,
                ngettext("%(n)d store order tried again.", "%(n)d store orders tried again.", tried)
                % {"n": tried},
                messages.SUCCESS,
            )

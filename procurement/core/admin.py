"""The kernel's admin: the task outbox, for superusers."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from procurement.core.admin_base import ReadOnlyAdmin
from procurement.core.models import OutboxTask


class OutboxStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("unsent", _("Not sent yet")), ("sent", _("Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "unsent":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """Tasks queued after commit, for superusers to see what the broker has not taken yet
    (attempts, last error). Read-only: the sweeper sends and purges them."""

    list_display = ["task", "args", "created_at", "attempts", "last_error", "sent_at"]
    list_filter = [OutboxStateFilter, "task"]
    search_fields = ["task"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    readonly_fields = ["task", "args", "created_at", "sent_at", "attempts", "last_error"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

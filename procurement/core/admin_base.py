"""Admin building blocks every app's admin may use."""

from django.contrib import admin


class NoWritesMixin:
    """Nobody adds, changes or deletes through this admin; the view permission shows it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWritesMixin, admin.ModelAdmin):
    """A record kept by the services (ledger, events, charges): viewable, never edited."""


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False
